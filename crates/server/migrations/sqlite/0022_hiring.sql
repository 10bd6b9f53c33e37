-- Hiring (issue 13.9): candidates invited by a link to a typing test (Chinese and English),
-- a written empathy scenario and a quiz; their results and the supervisor's review.
CREATE TABLE candidates (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    -- SHA-256 of the link's secret; the link itself is shown once, when the candidate is invited.
    token_hash      TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    email           TEXT,
    lang            TEXT    NOT NULL,
    tier            INTEGER NOT NULL,
    invited_by      INTEGER NOT NULL REFERENCES users (id),
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    -- Where the candidate is: typing_zh, typing_en, empathy, quiz, done.
    step            TEXT    NOT NULL,
    -- When the current typing passage was shown (the server times the typing).
    step_started_at INTEGER,
    -- Results as JSON (edudesk_core::hiring::TypingResult, QuizResult).
    typing_zh       TEXT,
    typing_en       TEXT,
    empathy_answer  TEXT,
    quiz            TEXT,
    submitted_at    INTEGER,
    review_score    INTEGER,
    decision        TEXT,
    review_note     TEXT,
    reviewed_by     INTEGER REFERENCES users (id)
);
CREATE INDEX candidates_created ON candidates (created_at);
