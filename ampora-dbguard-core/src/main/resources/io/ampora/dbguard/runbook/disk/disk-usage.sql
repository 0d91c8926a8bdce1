-- The largest relations of the current database: table + indexes + TOAST (pg_total_relation_size),
-- a partitioned table counted as the sum of its leaf partitions (partitions are not listed alone).
-- System catalogs are left out (nothing to prune there) except pg_largeobject, which holds user data.
--
-- pg_total_relation_size opens every relation it measures, which costs seconds on a schema of 10,000
-- tables. So the candidates are ranked first by the page counts in pg_class (kept by VACUUM, ANALYZE
-- and CREATE INDEX), and only the leading candidates, plus every table whose page count is unknown,
-- are measured exactly. Unknown: relpages 0 and reltuples -1 (never vacuumed or analyzed, from 14), or
-- on 13, where reltuples is 0 then, relpages and reltuples 0 with no vacuum or analyze on record.
-- Bind parameters: how many candidates to measure by estimate, how many to return.
WITH tables AS (
    SELECT c.oid,
           c.relkind,
           c.relname::text                        AS simple_name,
           format('%I.%I', n.nspname, c.relname)  AS relation_name,
           CASE WHEN c.relkind = 'p'
                THEN ARRAY(SELECT pt.relid FROM pg_catalog.pg_partition_tree(c.oid) pt WHERE pt.isleaf)
                ELSE ARRAY[c.oid] END             AS leaves
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'm')
      AND NOT c.relispartition
      AND (n.nspname NOT IN ('pg_catalog', 'information_schema') OR c.relname = 'pg_largeobject')
), estimated AS (
    SELECT t.*, e.pages, e.unknown
    FROM tables t
    CROSS JOIN LATERAL (
        SELECT coalesce(sum(l.relpages::bigint + coalesce(toast.relpages, 0) + coalesce(ix.pages, 0)), 0) AS pages,
               coalesce(bool_or(l.relpages = 0
                                AND (l.reltuples < 0
                                     OR (l.reltuples = 0
                                         AND pg_catalog.pg_stat_get_last_vacuum_time(l.oid) IS NULL
                                         AND pg_catalog.pg_stat_get_last_autovacuum_time(l.oid) IS NULL
                                         AND pg_catalog.pg_stat_get_last_analyze_time(l.oid) IS NULL
                                         AND pg_catalog.pg_stat_get_last_autoanalyze_time(l.oid) IS NULL))),
                        false)                                                                          AS unknown
        FROM pg_catalog.pg_class l
        LEFT JOIN pg_catalog.pg_class toast ON toast.oid = l.reltoastrelid
        LEFT JOIN LATERAL (
            SELECT sum(ic.relpages::bigint) AS pages
            FROM pg_catalog.pg_index i
            JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
            WHERE i.indrelid = l.oid
        ) ix ON true
        WHERE l.oid = ANY (t.leaves)
    ) e
), locked AS (
    -- pg_total_relation_size waits behind an ACCESS EXCLUSIVE lock (granted or queued): such a table is
    -- sized from its page counts instead, so the check never waits behind the lock it may be diagnosing.
    SELECT DISTINCT lk.relation AS oid
    FROM pg_catalog.pg_locks lk
    WHERE lk.locktype = 'relation'
      AND lk.mode = 'AccessExclusiveLock'
      AND lk.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
), candidates AS (
    (SELECT oid FROM estimated ORDER BY pages DESC LIMIT ?)
    UNION
    (SELECT oid FROM estimated WHERE unknown)
)
SELECT t.relation_name,
       t.simple_name,
       t.relkind = 'p'                                            AS partitioned,
       CASE WHEN t.relkind = 'p' THEN pg_catalog.cardinality(t.leaves) ELSE 0 END AS partitions,
       (SELECT coalesce(sum(CASE
                    WHEN l.oid IN (SELECT oid FROM locked)
                         OR EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = l.oid
                                      AND i.indexrelid IN (SELECT oid FROM locked))
                    THEN (SELECT (c.relpages::bigint + coalesce(toast.relpages, 0)
                                  + coalesce((SELECT sum(ic.relpages::bigint) FROM pg_catalog.pg_index i
                                              JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                                              WHERE i.indrelid = c.oid), 0))
                                 * pg_catalog.current_setting('block_size')::bigint
                          FROM pg_catalog.pg_class c
                          LEFT JOIN pg_catalog.pg_class toast ON toast.oid = c.reltoastrelid
                          WHERE c.oid = l.oid)
                    ELSE pg_catalog.pg_total_relation_size(l.oid) END), 0)
          FROM pg_catalog.unnest(t.leaves) AS l(oid))::bigint      AS total_bytes
FROM tables t
JOIN candidates USING (oid)
ORDER BY total_bytes DESC, t.relation_name
LIMIT ?
