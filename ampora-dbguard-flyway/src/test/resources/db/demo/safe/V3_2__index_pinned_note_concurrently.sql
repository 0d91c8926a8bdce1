-- Alone in its script, CREATE INDEX CONCURRENTLY runs outside a transaction (Flyway detects it) and
-- lets writes go on while the index builds.
CREATE INDEX CONCURRENTLY orders_pinned_note_id_idx ON orders (pinned_note_id);
