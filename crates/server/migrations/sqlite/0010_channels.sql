-- Channels: every way learners reach the platform besides the widget. Settings are JSON;
-- secrets (tokens, keys) are kept apart and never returned by the API or logged.
CREATE TABLE channels (
    kind        TEXT    NOT NULL CHECK (kind IN ('wechat', 'social', 'sms', 'cti', 'email')),
    name        TEXT    NOT NULL,
    settings    TEXT    NOT NULL DEFAULT '{}',
    secrets     TEXT    NOT NULL DEFAULT '{}',
    enabled     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (kind, name)
);

-- What arrived from outside, by its external id: a duplicate delivery is recognised and
-- answered without storing anything twice.
CREATE TABLE inbound_receipts (
    channel      TEXT    NOT NULL,
    external_id  TEXT    NOT NULL,
    message_id   INTEGER,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (channel, external_id)
);

-- Replies going back out through a conversation's channel, with their delivery state.
CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id       INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    conversation_id  INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    channel          TEXT    NOT NULL,
    recipient        TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    -- The channel's id of what was sent (an email's Message-ID), for threading replies.
    external_id      TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (message_id)
);
CREATE INDEX deliveries_conversation ON deliveries (conversation_id);

-- Phone calls reported by a telephony system (CTI), each logged on a conversation.
CREATE TABLE calls (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    channel          TEXT    NOT NULL,
    call_id          TEXT    NOT NULL,
    conversation_id  INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    caller           TEXT    NOT NULL,
    line             TEXT    NOT NULL,
    direction        TEXT    NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    state            TEXT    NOT NULL CHECK (state IN ('ringing', 'answered', 'ended', 'missed')),
    agent_id         INTEGER REFERENCES users (id),
    started_at       INTEGER NOT NULL,
    answered_at      INTEGER,
    ended_at         INTEGER,
    hangup_cause     TEXT,
    duration_seconds INTEGER,
    recording_url    TEXT,
    UNIQUE (channel, call_id)
);

-- The configured channel ("wechat/demo") a conversation came in through: replies go back out
-- through it. NULL for the widget and conversations opened by staff.
ALTER TABLE conversations ADD COLUMN channel_account TEXT;

-- Identities on other social platforms ("<channel>:<user id>"). SQLite cannot change a CHECK
-- constraint in place, so the table is rebuilt (nothing references it).
CREATE TABLE contact_identities_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id  INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL CHECK (kind IN ('platform', 'email', 'phone', 'wechat_openid', 'visitor', 'social')),
    value       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (kind, value)
);
INSERT INTO contact_identities_new (id, contact_id, kind, value, created_at) SELECT id, contact_id, kind, value, created_at FROM contact_identities;
DROP TABLE contact_identities;
ALTER TABLE contact_identities_new RENAME TO contact_identities;
CREATE INDEX contact_identities_contact ON contact_identities (contact_id);

-- A contact merged into another (same learner found on two channels) stays for the event
-- log's sake but is no longer a contact of its own.
ALTER TABLE contacts ADD COLUMN merged_into INTEGER REFERENCES contacts (id);
CREATE INDEX deliveries_external ON deliveries (external_id);
CREATE INDEX inbound_receipts_message ON inbound_receipts (message_id);
