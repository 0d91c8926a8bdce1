-- On the replica: which of the primary's candidate indexes (same oids on a physical standby) the
-- replica's own reads scanned. Bind parameter: the oids, as an array literal.
SELECT l::bigint AS oid
FROM pg_catalog.unnest(?::oid[]) l
WHERE pg_catalog.pg_stat_get_numscans(l) > 0
