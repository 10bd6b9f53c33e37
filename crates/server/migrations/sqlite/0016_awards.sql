-- Recognition (issue 13.6): the monthly 服务之星 (service star, by balanced score) and the
-- 最佳案例奖 (best case award: nominated by anyone on staff with the conversation attached,
-- approved or rejected by a supervisor).
CREATE TABLE awards (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT    NOT NULL CHECK (kind IN ('service_star', 'best_case')),
    month           TEXT,
    agent_id        INTEGER NOT NULL REFERENCES users (id),
    conversation_id INTEGER REFERENCES conversations (id),
    reason          TEXT    NOT NULL,
    score           REAL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    nominated_by    INTEGER NOT NULL REFERENCES users (id),
    decided_by      INTEGER REFERENCES users (id),
    created_at      INTEGER NOT NULL,
    decided_at      INTEGER
);
CREATE UNIQUE INDEX awards_one_star_a_month ON awards (month) WHERE kind = 'service_star';
CREATE INDEX awards_kind_status ON awards (kind, status, created_at);
