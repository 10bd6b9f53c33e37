-- Staff of other teams pulled into a conversation (e.g. finance on a refund dispute):
-- they read it and write internal notes.
CREATE TABLE conversation_collaborators (
    conversation_id  INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_by         INTEGER REFERENCES users (id),
    added_at         INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_collaborators_user ON conversation_collaborators (user_id);
