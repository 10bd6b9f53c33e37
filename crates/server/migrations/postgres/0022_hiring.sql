-- Hiring (issue 13.9): candidates invited by a link to a typing test (Chinese and English),
-- a written empathy scenario and a quiz; their results and the supervisor's review.
CREATE TABLE candidates (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- SHA-256 of the link's secret; the link itself is shown once, when the candidate is invited.
    token_hash      TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    email           TEXT,
    lang            TEXT    NOT NULL,
    tier            BIGINT  NOT NULL,
    invited_by      BIGINT  NOT NULL REFERENCES users (id),
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL,
    -- Where the candidate is: typing_zh, typing_en, empathy, quiz, done.
    step            TEXT    NOT NULL,
    -- When the current typing passage was shown (the server times the typing).
    step_started_at BIGINT,
    -- Results as JSON (edudesk_core::hiring::TypingResult, QuizResult).
    typing_zh       TEXT,
    typing_en       TEXT,
    empathy_answer  TEXT,
    quiz            TEXT,
    submitted_at    BIGINT,
    review_score    BIGINT,
    decision        TEXT,
    review_note     TEXT,
    reviewed_by     BIGINT  REFERENCES users (id)
);
CREATE INDEX candidates_created ON candidates (created_at);
