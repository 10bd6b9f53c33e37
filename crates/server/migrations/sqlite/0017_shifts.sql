-- Staffing (issue 13.5): who is scheduled when — a weekly pattern of shifts per agent
-- (weekday 0 = Monday … 6 = Sunday; hours in the support team's time zone, end exclusive),
-- compared with the agents the forecast needs.
CREATE TABLE shifts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    weekday    INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    start_hour INTEGER NOT NULL CHECK (start_hour BETWEEN 0 AND 23),
    end_hour   INTEGER NOT NULL CHECK (end_hour BETWEEN 1 AND 24),
    CHECK (start_hour < end_hour)
);
CREATE INDEX shifts_user ON shifts (user_id);
