-- A foreign key on an existing table, the safe way: NOT VALID now, VALIDATE in the next migration.
ALTER TABLE orders ADD COLUMN pinned_note_id bigint;
CREATE INDEX orders_pinned_note_id_idx ON orders (pinned_note_id);
ALTER TABLE orders ADD CONSTRAINT orders_pinned_note_fk FOREIGN KEY (pinned_note_id) REFERENCES order_notes (id) NOT VALID;
