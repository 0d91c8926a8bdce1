-- Expand only: new nullable columns, a NOT NULL column with a constant default (no rewrite since
-- PostgreSQL 11), a new table whose foreign key has its index. Adding a column takes a brief ACCESS
-- EXCLUSIVE lock: lock_timeout keeps it from queueing every query behind a long transaction.
SET lock_timeout = '5s';
ALTER TABLE customers ADD COLUMN phone text;
ALTER TABLE customers ADD COLUMN status text NOT NULL DEFAULT 'active';
CREATE TABLE order_notes (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES orders (id),
    body     text NOT NULL
);
CREATE INDEX order_notes_order_id_idx ON order_notes (order_id);
