-- Follow-up jobs name their conversation, so a conversation's pending follow-ups (and
-- their due times) can be listed without reading every job's payload.
ALTER TABLE jobs ADD COLUMN conversation_id BIGINT;
CREATE INDEX jobs_conversation ON jobs (conversation_id) WHERE conversation_id IS NOT NULL;

-- Nonces of signed webhooks (WeChat) seen within the replay window, with the hash of the
-- body they first came with: a retry of the same request passes, a captured signature
-- reused with another body is refused.
CREATE TABLE webhook_nonces (
    channel      TEXT   NOT NULL,
    nonce        TEXT   NOT NULL,
    body_sha256  TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (channel, nonce)
);
CREATE INDEX webhook_nonces_age ON webhook_nonces (created_at);
