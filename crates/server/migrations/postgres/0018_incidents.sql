-- Spikes (issue 13.4): a category's volume far above its seasonal baseline opens an incident
-- that links the matching conversations, can answer them all at once and shows a banner to
-- learners (widget, help centre) until it is resolved.
CREATE TABLE incidents (
    id          BIGSERIAL PRIMARY KEY,
    category    TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    observed    DOUBLE PRECISION NOT NULL,
    expected    DOUBLE PRECISION NOT NULL,
    banner      TEXT,
    opened_at   BIGINT  NOT NULL,
    resolved_at BIGINT,
    resolved_by BIGINT  REFERENCES users (id)
);
CREATE UNIQUE INDEX incidents_one_open_per_category ON incidents (category) WHERE status = 'open';

CREATE TABLE incident_conversations (
    incident_id     BIGINT  NOT NULL REFERENCES incidents (id),
    conversation_id BIGINT  NOT NULL REFERENCES conversations (id),
    PRIMARY KEY (incident_id, conversation_id)
);
