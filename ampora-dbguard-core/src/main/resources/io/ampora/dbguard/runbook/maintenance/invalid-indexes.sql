-- Indexes marked invalid (beyond the runbook): what a failed CREATE INDEX CONCURRENTLY or REINDEX
-- CONCURRENTLY leaves behind. Queries ignore them, yet writes still maintain them (when indisready).
-- An index being built concurrently right now is invalid too: pg_stat_progress_create_index (12+)
-- names it, and for other roles' builds, hidden without pg_read_all_stats, a lock its session holds
-- on the table gives it away.
-- Size from relpages: pg_relation_size would wait behind an ACCESS EXCLUSIVE lock.
SELECT pg_catalog.format('%I.%I', n.nspname, ic.relname)            AS index_name,
       pg_catalog.format('%I.%I', tn.nspname, t.relname)            AS table_name,
       -- pg_get_indexdef() locks the table: skip it while someone holds or awaits an ACCESS EXCLUSIVE lock,
       -- or the check would wait behind the very lock another check diagnoses.
       CASE WHEN NOT EXISTS (SELECT 1
                             FROM pg_catalog.pg_locks l
                             WHERE l.relation IN (i.indrelid, i.indexrelid)
                               AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d
                                                 WHERE d.datname = pg_catalog.current_database())
                               AND l.mode = 'AccessExclusiveLock')
            THEN pg_catalog.pg_get_indexdef(i.indexrelid)
       END                                                          AS definition,
       i.indisunique                                                AS is_unique,
       i.indisready                                                 AS is_ready,
       ic.relkind = 'I'                                             AS partitioned,
       ic.relpages::bigint * pg_catalog.current_setting('block_size')::bigint AS size_bytes,
       (SELECT p.pid
        FROM pg_catalog.pg_stat_progress_create_index p
        WHERE p.index_relid = i.indexrelid
           -- REINDEX CONCURRENTLY reports the index it replaces, not its invalid _ccnew copy
           OR (p.relid = i.indrelid AND p.command = 'REINDEX CONCURRENTLY')
           OR (p.relid IS NULL
               AND EXISTS (SELECT 1
                           FROM pg_catalog.pg_locks l
                           WHERE l.pid = p.pid
                             AND l.relation = i.indrelid
                             AND l.mode = 'ShareUpdateExclusiveLock'
                             AND l.granted))
        LIMIT 1)                                                    AS building_pid
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
WHERE NOT i.indisvalid
  AND NOT pg_catalog.pg_is_other_temp_schema(n.oid)
ORDER BY 1
