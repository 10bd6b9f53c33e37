-- The knowledge base: articles (Markdown) with their version history, and the
-- "was this helpful?" votes and view counts of the help centre.
CREATE TABLE kb_articles (
    id           TEXT    PRIMARY KEY,
    lang         TEXT    NOT NULL CHECK (lang IN ('zh', 'en')),
    category     TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    questions    TEXT    NOT NULL DEFAULT '[]',
    tags         TEXT    NOT NULL DEFAULT '[]',
    visibility   TEXT    NOT NULL DEFAULT 'published' CHECK (visibility IN ('draft', 'published', 'internal')),
    version      INTEGER NOT NULL DEFAULT 1,
    views        INTEGER NOT NULL DEFAULT 0,
    helpful_yes  INTEGER NOT NULL DEFAULT 0,
    helpful_no   INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX kb_articles_category ON kb_articles (visibility, lang, category);

CREATE TABLE kb_article_versions (
    article_id  TEXT    NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    snapshot    TEXT    NOT NULL,
    edited_by   INTEGER REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (article_id, version)
);
