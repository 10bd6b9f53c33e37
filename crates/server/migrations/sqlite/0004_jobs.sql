-- Durable background jobs (SLA checks, routing sweeps, follow-ups) and the task list
-- they fill. A job with a unique_key exists at most once until it has run.
CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT    NOT NULL,
    payload       TEXT    NOT NULL DEFAULT '{}',
    unique_key    TEXT    UNIQUE,
    run_at        INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL DEFAULT 10,
    locked_until  INTEGER,
    last_error    TEXT,
    dead          INTEGER NOT NULL DEFAULT 0 CHECK (dead IN (0, 1)),
    created_at    INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE dead = 0;

CREATE TABLE tasks (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id  INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    assignee_id      INTEGER REFERENCES users (id),
    job_id           INTEGER UNIQUE,
    kind             TEXT    NOT NULL,
    title            TEXT    NOT NULL,
    due_at           INTEGER NOT NULL,
    done_at          INTEGER,
    created_at       INTEGER NOT NULL
);
CREATE INDEX tasks_assignee ON tasks (assignee_id, due_at);
