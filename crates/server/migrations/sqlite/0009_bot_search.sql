-- The bot: a conversation it is handling stays out of every queue (bot_active = 1) until it
-- hands over; bot_state is its memory of the conversation (JSON).
ALTER TABLE conversations ADD COLUMN bot_active INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN bot_state TEXT;

-- Every help-centre / widget / API search with its result count (search analytics feed the
-- knowledge base: frequent searches without results are articles to write).
CREATE TABLE kb_searches (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    query       TEXT    NOT NULL,
    lang        TEXT,
    source      TEXT    NOT NULL CHECK (source IN ('help', 'widget', 'api')),
    results     INTEGER NOT NULL,
    top_article TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX kb_searches_created ON kb_searches (created_at);

-- A learner who opened a suggested article instead of starting a conversation.
CREATE TABLE kb_deflections (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id  TEXT    NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
    query       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX kb_deflections_article ON kb_deflections (article_id);
