-- Learning from agents: when an agent resolves a conversation the bot handed over and sent
-- the learner an article, the learner's question waits here for an editor; accepted ones
-- teach the bot that wording (issue 12.3).
CREATE TABLE kb_learned_questions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id      TEXT    NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
    question        TEXT    NOT NULL,
    conversation_id INTEGER REFERENCES conversations (id),
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
    created_at      INTEGER NOT NULL,
    decided_by      INTEGER REFERENCES users (id),
    decided_at      INTEGER,
    UNIQUE (article_id, question)
);
CREATE INDEX kb_learned_questions_status ON kb_learned_questions (status, created_at);

-- Learner questions the bot could not answer (out of scope, not confident, two answers too
-- close): with zero-result searches, grouped by similarity, they are the articles to write.
CREATE TABLE kb_unanswered (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    question        TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    conversation_id INTEGER REFERENCES conversations (id),
    created_at      INTEGER NOT NULL
);
CREATE INDEX kb_unanswered_created ON kb_unanswered (created_at);

-- A learner whose personal data was erased on request (DELETE /api/v1/contacts/{id}): the
-- contact and its conversations stay (counts and KPIs), what identified the learner is gone.
ALTER TABLE contacts ADD COLUMN erased_at INTEGER;

-- The event log stays append-only, with one exception the law requires: erasing a
-- learner's data may replace an event's payload with {"erased":true} (handover summaries
-- carry transcripts), changing nothing else.
DROP TRIGGER conversation_events_no_update;
CREATE TRIGGER conversation_events_no_update BEFORE UPDATE ON conversation_events
WHEN NOT (NEW.data = '{"erased":true}' AND NEW.id = OLD.id AND NEW.conversation_id = OLD.conversation_id AND NEW.kind = OLD.kind
          AND NEW.actor_user_id IS OLD.actor_user_id AND NEW.actor_contact_id IS OLD.actor_contact_id AND NEW.created_at = OLD.created_at)
BEGIN SELECT RAISE(ABORT, 'conversation_events is append-only (a payload may only be erased)'); END;

-- KPIs read the conversations that started in a period (GET /api/v1/kpis).
CREATE INDEX conversations_created ON conversations (created_at);

-- Outbound webhooks: the id of the last event delivered (the log is the outbox).
CREATE TABLE webhook_cursor (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    last_event_id  INTEGER NOT NULL
);
