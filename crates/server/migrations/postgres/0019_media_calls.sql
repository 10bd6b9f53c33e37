-- In-browser calls (issue 14): voice or video between the learner's widget and an agent's
-- console, signalled over the realtime socket, each belonging to a conversation. At most one
-- call of a conversation is live (ringing or accepted) at a time.
CREATE TABLE media_calls (
    id               BIGSERIAL PRIMARY KEY,
    conversation_id  BIGINT  NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    media            TEXT    NOT NULL CHECK (media IN ('voice', 'video')),
    started_by       TEXT    NOT NULL CHECK (started_by IN ('contact', 'agent')),
    agent_id         BIGINT  REFERENCES users (id),
    state            TEXT    NOT NULL CHECK (state IN ('ringing', 'accepted', 'declined', 'missed', 'ended')),
    created_at       BIGINT  NOT NULL,
    accepted_at      BIGINT,
    ended_at         BIGINT,
    duration_seconds BIGINT,
    end_reason       TEXT
);
CREATE INDEX media_calls_conversation ON media_calls (conversation_id, id);
CREATE UNIQUE INDEX media_calls_one_live ON media_calls (conversation_id) WHERE state IN ('ringing', 'accepted');
