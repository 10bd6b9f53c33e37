-- Learning from agents: when an agent resolves a conversation the bot handed over and sent
-- the learner an article, the learner's question waits here for an editor; accepted ones
-- teach the bot that wording (issue 12.3).
CREATE TABLE kb_learned_questions (
    id              BIGSERIAL PRIMARY KEY,
    article_id      TEXT    NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
    question        TEXT    NOT NULL,
    conversation_id BIGINT  REFERENCES conversations (id),
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
    created_at      BIGINT  NOT NULL,
    decided_by      BIGINT  REFERENCES users (id),
    decided_at      BIGINT,
    UNIQUE (article_id, question)
);
CREATE INDEX kb_learned_questions_status ON kb_learned_questions (status, created_at);

-- Learner questions the bot could not answer (out of scope, not confident, two answers too
-- close): with zero-result searches, grouped by similarity, they are the articles to write.
CREATE TABLE kb_unanswered (
    id              BIGSERIAL PRIMARY KEY,
    question        TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    conversation_id BIGINT  REFERENCES conversations (id),
    created_at      BIGINT  NOT NULL
);
CREATE INDEX kb_unanswered_created ON kb_unanswered (created_at);

-- A learner whose personal data was erased on request (DELETE /api/v1/contacts/{id}): the
-- contact and its conversations stay (counts and KPIs), what identified the learner is gone.
ALTER TABLE contacts ADD COLUMN erased_at BIGINT;

-- The event log stays append-only, with one exception the law requires: erasing a
-- learner's data may replace an event's payload with {"erased":true} (handover summaries
-- carry transcripts), changing nothing else.
CREATE OR REPLACE FUNCTION conversation_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.data = '{"erased":true}' AND NEW.id = OLD.id AND NEW.conversation_id = OLD.conversation_id
       AND NEW.kind = OLD.kind AND NEW.actor_user_id IS NOT DISTINCT FROM OLD.actor_user_id
       AND NEW.actor_contact_id IS NOT DISTINCT FROM OLD.actor_contact_id AND NEW.created_at = OLD.created_at THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'conversation_events is append-only (a payload may only be erased)';
END; $$;

-- KPIs read the conversations that started in a period (GET /api/v1/kpis).
CREATE INDEX conversations_created ON conversations (created_at);

-- Outbound webhooks: the id of the last event delivered (the log is the outbox).
CREATE TABLE webhook_cursor (
    id             BIGINT PRIMARY KEY CHECK (id = 1),
    last_event_id  BIGINT NOT NULL
);
