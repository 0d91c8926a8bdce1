-- Expand only: new nullable columns, a NOT NULL column with a constant default (no rewrite since
-- PostgreSQL 11), a new table whose foreign key has its index.
ALTER TABLE customers ADD COLUMN phone text;
ALTER TABLE customers ADD COLUMN status text NOT NULL DEFAULT 'active';
CREATE TABLE order_notes (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES orders (id),
    body     text NOT NULL
);
CREATE INDEX order_notes_order_id_idx ON order_notes (order_id);
