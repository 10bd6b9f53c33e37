-- Routing: when each agent last got a conversation (round robin among equals), and when
-- each conversation entered its tier's queue (oldest first).
ALTER TABLE users ADD COLUMN last_assigned_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN queued_at INTEGER;
UPDATE conversations SET queued_at = created_at;
CREATE INDEX conversations_waiting ON conversations (tier, queued_at) WHERE assignee_id IS NULL AND status = 'open';
