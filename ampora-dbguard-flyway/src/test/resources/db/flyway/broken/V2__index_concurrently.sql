-- CREATE INDEX CONCURRENTLY cannot run in a transaction: Flyway runs it on its own, and when it fails
-- the history keeps a failed row (success = false).
CREATE INDEX CONCURRENTLY customers_missing_idx ON customers (no_such_column);
