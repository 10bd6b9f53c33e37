-- SOP definitions, versioned (files shipped or loaded at start, edits from the console),
-- and the SOP each conversation runs with its progress (JSON: step, answers, completed,
-- visited).
CREATE TABLE sops (
    id          TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    definition  TEXT    NOT NULL,
    created_by  INTEGER REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (id, version)
);
ALTER TABLE conversations ADD COLUMN sop_id TEXT;
ALTER TABLE conversations ADD COLUMN sop_version INTEGER;
ALTER TABLE conversations ADD COLUMN sop_progress TEXT;
