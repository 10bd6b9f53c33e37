-- Quality review (issue 13.7): supervisors score sampled conversations on a rubric
-- (empathy, accuracy, SOP adherence, tone; 1–5 each) with a comment. One review per
-- conversation and reviewer; the reviewed agent reads their own.
CREATE TABLE qa_reviews (
    id              BIGSERIAL PRIMARY KEY,
    conversation_id BIGINT  NOT NULL REFERENCES conversations (id),
    agent_id        BIGINT  NOT NULL REFERENCES users (id),
    reviewer_id     BIGINT  NOT NULL REFERENCES users (id),
    empathy         BIGINT  NOT NULL CHECK (empathy BETWEEN 1 AND 5),
    accuracy        BIGINT  NOT NULL CHECK (accuracy BETWEEN 1 AND 5),
    sop_adherence   BIGINT  NOT NULL CHECK (sop_adherence BETWEEN 1 AND 5),
    tone            BIGINT  NOT NULL CHECK (tone BETWEEN 1 AND 5),
    comment         TEXT,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    UNIQUE (conversation_id, reviewer_id)
);
CREATE INDEX qa_reviews_agent ON qa_reviews (agent_id, created_at);
