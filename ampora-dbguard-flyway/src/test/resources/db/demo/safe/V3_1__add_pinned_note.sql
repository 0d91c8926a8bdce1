SET lock_timeout = '5s';
ALTER TABLE orders ADD COLUMN pinned_note_id bigint;
