-- numeric -> bigint rewrites the whole table under an ACCESS EXCLUSIVE lock.
ALTER TABLE purchases ALTER COLUMN total TYPE bigint;
