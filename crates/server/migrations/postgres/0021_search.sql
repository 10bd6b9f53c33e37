-- Conversation search (issue 13.2): tags agents put on conversations, and each staff
-- member's saved views (a named, validated set of list filters).
CREATE TABLE conversation_tags (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    tag             TEXT    NOT NULL,
    PRIMARY KEY (conversation_id, tag)
);
CREATE INDEX conversation_tags_tag ON conversation_tags (tag, conversation_id);

CREATE TABLE saved_views (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    -- The filters as JSON (the list's query parameters, checked when saved).
    filters    TEXT    NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, name)
);
