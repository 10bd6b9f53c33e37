-- Recognition (issue 13.6): the monthly 服务之星 (service star, by balanced score) and the
-- 最佳案例奖 (best case award: nominated by anyone on staff with the conversation attached,
-- approved or rejected by a supervisor).
CREATE TABLE awards (
    id              BIGSERIAL PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN ('service_star', 'best_case')),
    month           TEXT,
    agent_id        BIGINT  NOT NULL REFERENCES users (id),
    conversation_id BIGINT  REFERENCES conversations (id),
    reason          TEXT    NOT NULL,
    score           DOUBLE PRECISION,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    nominated_by    BIGINT  NOT NULL REFERENCES users (id),
    decided_by      BIGINT  REFERENCES users (id),
    created_at      BIGINT  NOT NULL,
    decided_at      BIGINT
);
CREATE UNIQUE INDEX awards_one_star_a_month ON awards (month) WHERE kind = 'service_star';
CREATE INDEX awards_kind_status ON awards (kind, status, created_at);
