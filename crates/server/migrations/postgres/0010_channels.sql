-- Channels: every way learners reach the platform besides the widget. Settings are JSON;
-- secrets (tokens, keys) are kept apart and never returned by the API or logged.
CREATE TABLE channels (
    kind        TEXT    NOT NULL CHECK (kind IN ('wechat', 'social', 'sms', 'cti', 'email')),
    name        TEXT    NOT NULL,
    settings    TEXT    NOT NULL DEFAULT '{}',
    secrets     TEXT    NOT NULL DEFAULT '{}',
    enabled     BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (kind, name)
);

-- What arrived from outside, by its external id: a duplicate delivery is recognised and
-- answered without storing anything twice.
CREATE TABLE inbound_receipts (
    channel      TEXT    NOT NULL,
    external_id  TEXT    NOT NULL,
    message_id   BIGINT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (channel, external_id)
);

-- Replies going back out through a conversation's channel, with their delivery state.
CREATE TABLE deliveries (
    id               BIGSERIAL PRIMARY KEY,
    message_id       BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    conversation_id  BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    channel          TEXT    NOT NULL,
    recipient        TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    last_error       TEXT,
    -- The channel's id of what was sent (an email's Message-ID), for threading replies.
    external_id      TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (message_id)
);
CREATE INDEX deliveries_conversation ON deliveries (conversation_id);

-- Phone calls reported by a telephony system (CTI), each logged on a conversation.
CREATE TABLE calls (
    id               BIGSERIAL PRIMARY KEY,
    channel          TEXT    NOT NULL,
    call_id          TEXT    NOT NULL,
    conversation_id  BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    caller           TEXT    NOT NULL,
    line             TEXT    NOT NULL,
    direction        TEXT    NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    state            TEXT    NOT NULL CHECK (state IN ('ringing', 'answered', 'ended', 'missed')),
    agent_id         BIGINT REFERENCES users (id),
    started_at       BIGINT NOT NULL,
    answered_at      BIGINT,
    ended_at         BIGINT,
    hangup_cause     TEXT,
    duration_seconds BIGINT,
    recording_url    TEXT,
    UNIQUE (channel, call_id)
);

-- The configured channel ("wechat/demo") a conversation came in through: replies go back out
-- through it. NULL for the widget and conversations opened by staff.
ALTER TABLE conversations ADD COLUMN channel_account TEXT;

-- Identities on other social platforms ("<channel>:<user id>").
ALTER TABLE contact_identities DROP CONSTRAINT contact_identities_kind_check;
ALTER TABLE contact_identities ADD CONSTRAINT contact_identities_kind_check
    CHECK (kind IN ('platform', 'email', 'phone', 'wechat_openid', 'visitor', 'social'));

-- A contact merged into another (same learner found on two channels) stays for the event
-- log's sake but is no longer a contact of its own.
ALTER TABLE contacts ADD COLUMN merged_into BIGINT REFERENCES contacts (id);
CREATE INDEX deliveries_external ON deliveries (external_id);
CREATE INDEX inbound_receipts_message ON inbound_receipts (message_id);
