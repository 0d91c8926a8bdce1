ALTER TABLE orders VALIDATE CONSTRAINT orders_pinned_note_fk;
