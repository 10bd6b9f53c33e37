-- EduDesk foundation schema (SQLite). Times are UTC milliseconds since the Unix epoch.
-- Flags are 0/1 integers on both backends, so one code path reads them (sqlx's Any driver
-- cannot decode SQLite booleans).
-- Keep in step with ../postgres/0001_foundation.sql: same tables, columns and constraints.

CREATE TABLE users (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    email           TEXT    NOT NULL UNIQUE,
    display_name    TEXT    NOT NULL,
    password_hash   TEXT    NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    tier            INTEGER NOT NULL DEFAULT 1 CHECK (tier BETWEEN 1 AND 3),
    skills          TEXT    NOT NULL DEFAULT '',
    max_concurrent  INTEGER NOT NULL DEFAULT 5 CHECK (max_concurrent >= 0),
    presence        TEXT    NOT NULL DEFAULT 'offline' CHECK (presence IN ('online', 'away', 'offline')),
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at      INTEGER NOT NULL
);

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE team_members (
    team_id  INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);

CREATE TABLE contacts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    display_name  TEXT,
    anonymous     INTEGER NOT NULL DEFAULT 0 CHECK (anonymous IN (0, 1)),
    attributes    TEXT    NOT NULL DEFAULT '{}',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE contact_identities (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id  INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL CHECK (kind IN ('platform', 'email', 'phone', 'wechat_openid', 'visitor')),
    value       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (kind, value)
);
CREATE INDEX contact_identities_contact ON contact_identities (contact_id);

CREATE TABLE sessions (
    token_hash  TEXT    PRIMARY KEY,
    user_id     INTEGER REFERENCES users (id) ON DELETE CASCADE,
    contact_id  INTEGER REFERENCES contacts (id) ON DELETE CASCADE,
    csrf_token  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    CHECK ((user_id IS NULL) <> (contact_id IS NULL))
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_contact ON sessions (contact_id);

CREATE TABLE conversations (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id         INTEGER NOT NULL REFERENCES contacts (id),
    channel            TEXT    NOT NULL,
    subject            TEXT,
    status             TEXT    NOT NULL CHECK (status IN ('open', 'pending', 'resolved', 'closed')),
    priority           TEXT    NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    category           TEXT,
    tier               INTEGER NOT NULL CHECK (tier BETWEEN 1 AND 3),
    assignee_id        INTEGER REFERENCES users (id),
    last_seq           INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    first_response_at  INTEGER,
    resolved_at        INTEGER,
    closed_at          INTEGER,
    -- The first message's client id: creating twice with it yields one conversation.
    client_id          TEXT    NOT NULL,
    UNIQUE (contact_id, client_id)
);
CREATE INDEX conversations_contact ON conversations (contact_id, id);
CREATE INDEX conversations_queue ON conversations (status, tier, id);
CREATE INDEX conversations_assignee ON conversations (assignee_id, status);

CREATE TABLE messages (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id    INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq                INTEGER NOT NULL,
    author_kind        TEXT    NOT NULL CHECK (author_kind IN ('contact', 'agent', 'bot', 'system')),
    author_user_id     INTEGER REFERENCES users (id),
    author_contact_id  INTEGER REFERENCES contacts (id),
    body               TEXT    NOT NULL,
    internal           INTEGER NOT NULL DEFAULT 0 CHECK (internal IN (0, 1)),
    client_id          TEXT    NOT NULL,
    created_at         INTEGER NOT NULL,
    UNIQUE (conversation_id, seq),
    UNIQUE (conversation_id, client_id)
);

CREATE TABLE conversation_events (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id   INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    kind              TEXT    NOT NULL,
    actor_user_id     INTEGER REFERENCES users (id),
    actor_contact_id  INTEGER REFERENCES contacts (id),
    data              TEXT    NOT NULL DEFAULT '{}',
    created_at        INTEGER NOT NULL
);
CREATE INDEX conversation_events_conversation ON conversation_events (conversation_id, id);

-- The append-only event log: the database refuses edits and deletes of single events.
CREATE TRIGGER conversation_events_no_update BEFORE UPDATE ON conversation_events
BEGIN SELECT RAISE(ABORT, 'conversation_events is append-only'); END;
