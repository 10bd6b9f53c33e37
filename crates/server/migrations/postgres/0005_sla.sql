-- SLA clocks: due times (recomputed when tier, priority or waiting-on-learner time change),
-- the business minutes spent waiting on the learner, and which warnings and breaches
-- were already raised (comma-separated: first_response, resolution).
ALTER TABLE conversations ADD COLUMN first_response_due_at BIGINT;
ALTER TABLE conversations ADD COLUMN resolution_due_at BIGINT;
ALTER TABLE conversations ADD COLUMN pending_since BIGINT;
ALTER TABLE conversations ADD COLUMN sla_paused_minutes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN sla_warned TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN sla_breached TEXT NOT NULL DEFAULT '';
CREATE INDEX conversations_resolution_due ON conversations (resolution_due_at) WHERE status = 'open';
