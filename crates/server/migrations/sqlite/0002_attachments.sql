-- Images sent in conversations (widget uploads), stored in the database so every node
-- serves them. Type and size are checked before they get here.
CREATE TABLE attachments (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id      INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    uploader_user_id     INTEGER REFERENCES users (id),
    uploader_contact_id  INTEGER REFERENCES contacts (id),
    content_type         TEXT    NOT NULL,
    size                 INTEGER NOT NULL,
    data                 BLOB    NOT NULL,
    created_at           INTEGER NOT NULL
);
CREATE INDEX attachments_conversation ON attachments (conversation_id);

ALTER TABLE messages ADD COLUMN attachment_id INTEGER REFERENCES attachments (id);
