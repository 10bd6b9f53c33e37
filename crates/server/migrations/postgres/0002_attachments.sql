-- Images sent in conversations (widget uploads), stored in the database so every node
-- serves them. Type and size are checked before they get here.
CREATE TABLE attachments (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id      BIGINT  NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    uploader_user_id     BIGINT  REFERENCES users (id),
    uploader_contact_id  BIGINT  REFERENCES contacts (id),
    content_type         TEXT    NOT NULL,
    size                 BIGINT  NOT NULL,
    data                 BYTEA   NOT NULL,
    created_at           BIGINT  NOT NULL
);
CREATE INDEX attachments_conversation ON attachments (conversation_id);

ALTER TABLE messages ADD COLUMN attachment_id BIGINT  REFERENCES attachments (id);
