-- Training (issue 13.8): quiz attempts per tier and module, the certifications they earn
-- (or a supervisor grants), and practice sessions with a simulated learner.
CREATE TABLE training_attempts (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT  NOT NULL REFERENCES users (id),
    tier         BIGINT  NOT NULL,
    module       TEXT    NOT NULL,
    -- The questions as asked, with their keys (edudesk_core::training::QuizQuestion, JSON).
    questions    TEXT    NOT NULL,
    answers      TEXT,
    correct      BIGINT,
    total        BIGINT  NOT NULL,
    passed       BIGINT  NOT NULL DEFAULT 0,
    started_at   BIGINT  NOT NULL,
    submitted_at BIGINT
);
CREATE INDEX training_attempts_user ON training_attempts (user_id, tier, module);

-- A staff member is certified for a tier (which covers the tiers below it): by passing its
-- four modules (`course`), by a supervisor (`granted`), or as staff who were already working
-- when training began (`grandfathered`). Routing gives agents conversations only at a tier
-- they are certified for, and a tier change needs the certification first.
CREATE TABLE certifications (
    user_id      BIGINT  NOT NULL REFERENCES users (id),
    tier         BIGINT  NOT NULL,
    source       TEXT    NOT NULL,
    granted_by   BIGINT  REFERENCES users (id),
    certified_at BIGINT  NOT NULL,
    PRIMARY KEY (user_id, tier)
);
INSERT INTO certifications (user_id, tier, source, certified_at)
    SELECT id, tier, 'grandfathered', (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT FROM users;

CREATE TABLE practice_sessions (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT  NOT NULL REFERENCES users (id),
    -- edudesk_core::training::Scenario and Practice, JSON.
    scenario    TEXT    NOT NULL,
    practice    TEXT    NOT NULL,
    ended       BIGINT  NOT NULL DEFAULT 0,
    score       BIGINT,
    started_at  BIGINT  NOT NULL,
    ended_at    BIGINT
);
CREATE INDEX practice_sessions_user ON practice_sessions (user_id, started_at);
