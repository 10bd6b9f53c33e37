-- Attachments are any file now (email attachments both ways, agents' files), not only
-- images: a file keeps the name it came with.
ALTER TABLE attachments ADD COLUMN filename TEXT;

-- Where an email conversation's replies go when the learner's mail asked for another
-- address than its sender (`Reply-To`); empty: the sender's.
ALTER TABLE conversations ADD COLUMN reply_to TEXT;
