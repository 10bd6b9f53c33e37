-- Attachments are any file now (email attachments both ways, agents' files), not only
-- images: a file keeps the name it came with.
ALTER TABLE attachments ADD COLUMN filename TEXT;
