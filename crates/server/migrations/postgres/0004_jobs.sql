-- Durable background jobs (SLA checks, routing sweeps, follow-ups) and the task list
-- they fill. A job with a unique_key exists at most once until it has run.
CREATE TABLE jobs (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          TEXT    NOT NULL,
    payload       TEXT    NOT NULL DEFAULT '{}',
    unique_key    TEXT    UNIQUE,
    run_at        BIGINT  NOT NULL,
    attempts      BIGINT  NOT NULL DEFAULT 0,
    max_attempts  BIGINT  NOT NULL DEFAULT 10,
    locked_until  BIGINT,
    last_error    TEXT,
    dead          BIGINT  NOT NULL DEFAULT 0 CHECK (dead IN (0, 1)),
    created_at    BIGINT  NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE dead = 0;

CREATE TABLE tasks (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id  BIGINT  NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    assignee_id      BIGINT  REFERENCES users (id),
    job_id           BIGINT  UNIQUE,
    kind             TEXT    NOT NULL,
    title            TEXT    NOT NULL,
    due_at           BIGINT  NOT NULL,
    done_at          BIGINT,
    created_at       BIGINT  NOT NULL
);
CREATE INDEX tasks_assignee ON tasks (assignee_id, due_at);
