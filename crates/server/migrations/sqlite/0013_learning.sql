-- Learning from agents: when an agent resolves a conversation the bot handed over and sent
-- the learner an article, the learner's question waits here for an editor; accepted ones
-- teach the bot that wording (issue 12.3).
CREATE TABLE kb_learned_questions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id      TEXT    NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
    question        TEXT    NOT NULL,
    conversation_id INTEGER REFERENCES conversations (id),
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
    created_at      INTEGER NOT NULL,
    decided_by      INTEGER REFERENCES users (id),
    decided_at      INTEGER,
    UNIQUE (article_id, question)
);
CREATE INDEX kb_learned_questions_status ON kb_learned_questions (status, created_at);

-- Learner questions the bot could not answer (out of scope, not confident, two answers too
-- close): with zero-result searches, grouped by similarity, they are the articles to write.
CREATE TABLE kb_unanswered (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    question        TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    conversation_id INTEGER REFERENCES conversations (id),
    created_at      INTEGER NOT NULL
);
CREATE INDEX kb_unanswered_created ON kb_unanswered (created_at);
