-- CSAT surveys (issue 13.3): at most one per conversation, sent through the conversation's
-- own channel some minutes after it is resolved; the token in its link is the learner's key
-- (no sign-in). Answers may change until the survey expires.
CREATE TABLE surveys (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    token           TEXT    NOT NULL UNIQUE,
    conversation_id INTEGER NOT NULL UNIQUE REFERENCES conversations (id),
    contact_id      INTEGER NOT NULL REFERENCES contacts (id),
    agent_id        INTEGER REFERENCES users (id),
    channel         TEXT    NOT NULL,
    with_nps        INTEGER NOT NULL DEFAULT 0 CHECK (with_nps IN (0, 1)),
    lang            TEXT    NOT NULL DEFAULT 'zh',
    sent_at         INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    rating          INTEGER CHECK (rating BETWEEN 1 AND 5),
    resolved        INTEGER CHECK (resolved IN (0, 1)),
    nps             INTEGER CHECK (nps BETWEEN 0 AND 10),
    comment         TEXT,
    answered_at     INTEGER
);
CREATE INDEX surveys_contact ON surveys (contact_id, sent_at);
CREATE INDEX surveys_agent ON surveys (agent_id, answered_at);

-- A survey comment about the product, the app or support itself goes to the team that owns
-- it, with a status they keep.
CREATE TABLE feedback_items (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    survey_id       INTEGER NOT NULL UNIQUE REFERENCES surveys (id),
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    area            TEXT    NOT NULL CHECK (area IN ('product', 'tech', 'ops')),
    owner_team      TEXT    NOT NULL,
    text            TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'acknowledged', 'planned', 'done', 'wont_do')),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    updated_by      INTEGER REFERENCES users (id)
);
CREATE INDEX feedback_items_area ON feedback_items (area, status, created_at);
