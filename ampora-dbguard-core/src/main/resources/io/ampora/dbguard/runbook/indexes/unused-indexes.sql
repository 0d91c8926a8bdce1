-- Indexes no scan used since the statistics were reset: not unique (a unique index enforces even when
-- never scanned), not backing a constraint (pg_constraint.conindid, which includes the unique index a
-- foreign key references) nor the replica identity, valid. A partitioned index is judged once, on the
-- scans of all its partitions' indexes (pg_partition_tree), and its partitions' indexes are left out.
-- Scans from pg_stat_get_numscans(oid), by oid, without the pg_stat_user_indexes view.
-- Bind parameter: how many to return, largest first (NULL: all, with their leaf oids, when a replica's scans
-- must be subtracted); every row carries the count and size of all unused indexes.
WITH backing AS MATERIALIZED (
    -- pg_constraint has no index on conindid: one hashed set instead of a scan per index
    SELECT DISTINCT k.conindid FROM pg_catalog.pg_constraint k WHERE k.conindid <> 0
), candidates AS (
    SELECT i.indexrelid,
           i.indrelid,
           ic.relkind = 'I' AS partitioned,
           ic.relpages
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
), leaves AS (
    -- a plain index is its own leaf; a partitioned one has its partitions' indexes (pg_partition_tree)
    SELECT c.*,
           CASE WHEN c.partitioned
                THEN ARRAY(SELECT p.relid FROM pg_catalog.pg_partition_tree(c.indexrelid) p WHERE p.isleaf)
                ELSE ARRAY[c.indexrelid]
           END AS leaves
    FROM candidates c
    WHERE NOT c.partitioned OR pg_catalog.pg_stat_get_numscans(c.indexrelid) = 0
), unused AS (
    SELECT l.*,
           CASE WHEN l.partitioned
                THEN (SELECT coalesce(sum(lc.relpages::bigint), 0) FROM pg_catalog.pg_class lc WHERE lc.oid = ANY (l.leaves))
                ELSE l.relpages::bigint
           END * pg_catalog.current_setting('block_size')::bigint AS size_bytes
    FROM leaves l
    WHERE CASE WHEN l.partitioned
               THEN (SELECT coalesce(sum(pg_catalog.pg_stat_get_numscans(x)), 0) FROM pg_catalog.unnest(l.leaves) x)
               ELSE pg_catalog.pg_stat_get_numscans(l.indexrelid)
          END = 0
)
SELECT pg_catalog.format('%I.%I', n.nspname, ic.relname) AS index_name,
       pg_catalog.format('%I.%I', tn.nspname, t.relname) AS table_name,
       u.partitioned,
       u.size_bytes,
       u.leaves::text                                     AS leaves,
       count(*) OVER ()                                   AS total,
       sum(u.size_bytes) OVER ()                          AS total_bytes
FROM unused u
JOIN pg_catalog.pg_class ic     ON ic.oid = u.indexrelid
JOIN pg_catalog.pg_namespace n  ON n.oid = ic.relnamespace
JOIN pg_catalog.pg_class t      ON t.oid = u.indrelid
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
ORDER BY u.size_bytes DESC, index_name
LIMIT ?
