-- Indexes no scan used since the statistics were reset: not unique (a unique index enforces even when
-- never scanned), not backing a constraint (pg_constraint.conindid, which includes the unique index a
-- foreign key references) nor the replica identity, valid. A partitioned index is judged once, on the
-- scans of all its partitions' indexes (pg_partition_tree), and its partitions' indexes are left out.
-- Scans from pg_stat_get_numscans(oid), by oid, without the pg_stat_user_indexes view.
-- Bind parameter: how many to list (all candidates' leaf oids are returned for the replica's count).
WITH backing AS MATERIALIZED (
    -- pg_constraint has no index on conindid: one hashed set instead of a scan per index
    SELECT DISTINCT k.conindid FROM pg_catalog.pg_constraint k WHERE k.conindid <> 0
), candidates AS (
    SELECT i.indexrelid,
           i.indrelid,
           ic.relkind = 'I' AS partitioned,
           CASE WHEN ic.relkind = 'I'
                THEN ARRAY(SELECT p.relid FROM pg_catalog.pg_partition_tree(i.indexrelid) p WHERE p.isleaf)
                ELSE ARRAY[i.indexrelid]
           END              AS leaves
    FROM pg_catalog.pg_index i
    JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
    WHERE i.indisvalid
      AND NOT i.indisunique
      AND NOT i.indisreplident
      AND NOT ic.relispartition
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname !~ '^pg_toast'
      AND NOT pg_catalog.pg_is_other_temp_schema(n.oid)
      AND NOT EXISTS (SELECT 1 FROM backing b WHERE b.conindid = i.indexrelid)
), unused AS (
    SELECT c.*,
           (SELECT coalesce(sum(lc.relpages::bigint), 0) FROM pg_catalog.pg_class lc WHERE lc.oid = ANY (c.leaves))
               * pg_catalog.current_setting('block_size')::bigint AS size_bytes
    FROM candidates c
    WHERE (SELECT coalesce(sum(pg_catalog.pg_stat_get_numscans(l)), 0) FROM pg_catalog.unnest(c.leaves) l) = 0
)
SELECT pg_catalog.format('%I.%I', n.nspname, ic.relname) AS index_name,
       pg_catalog.format('%I.%I', tn.nspname, t.relname) AS table_name,
       u.partitioned,
       u.size_bytes,
       u.leaves::text                                     AS leaves
FROM unused u
JOIN pg_catalog.pg_class ic     ON ic.oid = u.indexrelid
JOIN pg_catalog.pg_namespace n  ON n.oid = ic.relnamespace
JOIN pg_catalog.pg_class t      ON t.oid = u.indrelid
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
ORDER BY u.size_bytes DESC, index_name
