-- Courses (issue 13.4): the course a learner was on when they asked (the widget passes the
-- platform's `course` attribute), for volume by course and spikes per course; an incident is
-- about a category or a course (`dimension`), one open at a time for each.
ALTER TABLE conversations ADD COLUMN course TEXT;
CREATE INDEX conversations_course ON conversations (course, created_at);
ALTER TABLE incidents ADD COLUMN dimension TEXT NOT NULL DEFAULT 'category';
DROP INDEX incidents_one_open_per_category;
CREATE UNIQUE INDEX incidents_one_open_per_key ON incidents (dimension, category) WHERE status = 'open';
