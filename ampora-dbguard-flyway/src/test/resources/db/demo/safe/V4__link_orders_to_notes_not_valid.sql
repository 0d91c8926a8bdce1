-- A foreign key on an existing table, the safe way: NOT VALID now, VALIDATE in the next migration.
-- Its index was built CONCURRENTLY by V3.2.
ALTER TABLE orders ADD CONSTRAINT orders_pinned_note_fk FOREIGN KEY (pinned_note_id) REFERENCES order_notes (id) NOT VALID;
