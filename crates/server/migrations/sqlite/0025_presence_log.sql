-- Occupancy (issue 13.1): every presence change, so the time an agent was online can be
-- measured from the log (occupancy = online time with a conversation in hand ÷ online time).
CREATE TABLE presence_log (
    user_id  INTEGER NOT NULL REFERENCES users (id),
    presence TEXT    NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX presence_log_user_at ON presence_log (user_id, at);
-- Whoever is online or away now starts their log at the upgrade.
INSERT INTO presence_log (user_id, presence, at)
    SELECT id, presence, CAST(strftime('%s', 'now') AS INTEGER) * 1000 FROM users WHERE presence <> 'offline';
