-- Training (issue 13.8): quiz attempts per tier and module, the certifications they earn
-- (or a supervisor grants), and practice sessions with a simulated learner.
CREATE TABLE training_attempts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    tier         INTEGER NOT NULL,
    module       TEXT    NOT NULL,
    -- The questions as asked, with their keys (edudesk_core::training::QuizQuestion, JSON).
    questions    TEXT    NOT NULL,
    answers      TEXT,
    correct      INTEGER,
    total        INTEGER NOT NULL,
    passed       INTEGER NOT NULL DEFAULT 0,
    started_at   INTEGER NOT NULL,
    submitted_at INTEGER
);
CREATE INDEX training_attempts_user ON training_attempts (user_id, tier, module);

-- A staff member is certified for a tier (which covers the tiers below it): by passing its
-- four modules (`course`), by a supervisor (`granted`), or as staff who were already working
-- when training began (`grandfathered`). Routing gives agents conversations only at a tier
-- they are certified for, and a tier change needs the certification first.
CREATE TABLE certifications (
    user_id      INTEGER NOT NULL REFERENCES users (id),
    tier         INTEGER NOT NULL,
    source       TEXT    NOT NULL,
    granted_by   INTEGER REFERENCES users (id),
    certified_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, tier)
);
INSERT INTO certifications (user_id, tier, source, certified_at)
    SELECT id, tier, 'grandfathered', CAST(strftime('%s', 'now') AS INTEGER) * 1000 FROM users;

CREATE TABLE practice_sessions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    -- edudesk_core::training::Scenario and Practice, JSON.
    scenario    TEXT    NOT NULL,
    practice    TEXT    NOT NULL,
    ended       INTEGER NOT NULL DEFAULT 0,
    score       INTEGER,
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER
);
CREATE INDEX practice_sessions_user ON practice_sessions (user_id, started_at);
