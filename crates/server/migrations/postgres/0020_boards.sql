-- The shared whiteboard of a conversation (issue 14.4), in and outside calls. The server
-- orders every change with the board's sequence number; each element keeps the number of
-- its last change (its version), so clients converge by applying changes in that order and a
-- late joiner loads the whole board at one number. A clear removes what came before it.
CREATE TABLE boards (
    conversation_id BIGINT  PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    seq             BIGINT  NOT NULL DEFAULT 0,
    cleared_seq     BIGINT  NOT NULL DEFAULT 0,
    updated_at      BIGINT  NOT NULL
);

CREATE TABLE board_elements (
    conversation_id BIGINT  NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    element_id      TEXT    NOT NULL,
    seq             BIGINT  NOT NULL,
    data            TEXT,
    author_kind     TEXT    NOT NULL CHECK (author_kind IN ('contact', 'agent')),
    author_id       BIGINT  NOT NULL,
    PRIMARY KEY (conversation_id, element_id)
);
