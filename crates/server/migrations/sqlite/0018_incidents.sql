-- Spikes (issue 13.4): a category's volume far above its seasonal baseline opens an incident
-- that links the matching conversations, can answer them all at once and shows a banner to
-- learners (widget, help centre) until it is resolved.
CREATE TABLE incidents (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    category    TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    observed    REAL    NOT NULL,
    expected    REAL    NOT NULL,
    banner      TEXT,
    opened_at   INTEGER NOT NULL,
    resolved_at INTEGER,
    resolved_by INTEGER REFERENCES users (id)
);
CREATE UNIQUE INDEX incidents_one_open_per_category ON incidents (category) WHERE status = 'open';

CREATE TABLE incident_conversations (
    incident_id     INTEGER NOT NULL REFERENCES incidents (id),
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    PRIMARY KEY (incident_id, conversation_id)
);
