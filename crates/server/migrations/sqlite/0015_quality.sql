-- Quality review (issue 13.7): supervisors score sampled conversations on a rubric
-- (empathy, accuracy, SOP adherence, tone; 1–5 each) with a comment. One review per
-- conversation and reviewer; the reviewed agent reads their own.
CREATE TABLE qa_reviews (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    agent_id        INTEGER NOT NULL REFERENCES users (id),
    reviewer_id     INTEGER NOT NULL REFERENCES users (id),
    empathy         INTEGER NOT NULL CHECK (empathy BETWEEN 1 AND 5),
    accuracy        INTEGER NOT NULL CHECK (accuracy BETWEEN 1 AND 5),
    sop_adherence   INTEGER NOT NULL CHECK (sop_adherence BETWEEN 1 AND 5),
    tone            INTEGER NOT NULL CHECK (tone BETWEEN 1 AND 5),
    comment         TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (conversation_id, reviewer_id)
);
CREATE INDEX qa_reviews_agent ON qa_reviews (agent_id, created_at);
