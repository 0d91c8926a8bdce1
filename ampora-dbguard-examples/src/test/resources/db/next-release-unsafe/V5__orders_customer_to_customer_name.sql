-- Deliberately incompatible: the previous release still reads orders.customer while this one rolls out.
-- The safe pattern is expand then contract: add customer_name, write both, backfill, and drop customer
-- in a later release once no running code reads it.
ALTER TABLE orders RENAME COLUMN customer TO customer_name;
