-- Tables with data and no planner statistics (no row in pg_stats), and partitioned tables whose partitions hold data
-- and that have no statistics of their own (pg_stats with inherited = true: autovacuum never analyzes them).
-- pg_stats shows a table's rows only to a role that may read its columns and for which row-level security is not
-- active; such tables are counted apart (readable = false), never reported as missing statistics.
-- pg_relation_size takes an ACCESS SHARE lock on the table (pg_partition_tree too, so partitions are found through
-- pg_inherits): a table with an ACCESS EXCLUSIVE lock granted or asked for (a migration, perhaps waiting in the
-- queue) is not measured, only counted, so the check neither waits for the lock nor queues behind it.
-- Extension tables are left out. Parameters: the minimum size in bytes, how many rows to return.
-- One row always: table_name is NULL when no table is reported.
WITH RECURSIVE exclusive AS MATERIALIZED (
    SELECT DISTINCT l.relation
    FROM pg_catalog.pg_locks l
    WHERE l.locktype = 'relation'
      AND l.mode = 'AccessExclusiveLock'
      AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
), tree (root, relid) AS (
    SELECT i.inhparent, i.inhrelid
    FROM pg_catalog.pg_inherits i
    JOIN pg_catalog.pg_class p ON p.oid = i.inhparent AND p.relkind = 'p'
    UNION ALL
    SELECT tree.root, i.inhrelid
    FROM tree
    JOIN pg_catalog.pg_inherits i ON i.inhparent = tree.relid
), t AS (
    SELECT c.oid,
           n.nspname,
           c.relname,
           c.relkind = 'p'                                                         AS partitioned,
           c.reltuples,
           pg_catalog.has_table_privilege(c.oid, 'SELECT')
               AND (NOT c.relrowsecurity OR NOT pg_catalog.row_security_active(c.oid)) AS readable,
           (c.oid IN (SELECT x.relation FROM exclusive x)
            OR (c.relkind = 'p' AND EXISTS (SELECT 1 FROM tree WHERE tree.root = c.oid
                                            AND tree.relid IN (SELECT x.relation FROM exclusive x)))) AS locked
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'm', 'p')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname !~ '^pg_toast'
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                      WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
), suspects AS (
    -- a table ANALYZE (manual or auto) has processed since the activity statistics began has statistics (or was
    -- empty then, and its changes since are vacuum-health's): only the others are looked up in pg_stats, so a
    -- healthy database costs little; after a crash or pg_stat_reset() every table is looked up once
    SELECT t.*
    FROM t
    WHERE pg_catalog.pg_stat_get_last_analyze_time(t.oid) IS NULL
      AND pg_catalog.pg_stat_get_last_autoanalyze_time(t.oid) IS NULL
      AND (NOT t.readable
           OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stats st
                          WHERE st.schemaname = t.nspname AND st.tablename = t.relname
                            AND st.inherited = t.partitioned))
), m AS (
    SELECT s.*,
           CASE WHEN s.locked THEN NULL
                WHEN s.partitioned
                THEN (SELECT coalesce(sum(pg_catalog.pg_relation_size(leaf.oid)), 0)
                      FROM tree JOIN pg_catalog.pg_class leaf ON leaf.oid = tree.relid AND leaf.relkind IN ('r', 'm')
                      WHERE tree.root = s.oid)
                ELSE pg_catalog.pg_relation_size(s.oid) END                       AS bytes
    FROM suspects s
), found AS (
    SELECT pg_catalog.format('%I.%I', m.nspname, m.relname)                       AS table_name,
           m.partitioned,
           m.readable,
           m.bytes,
           CASE WHEN m.reltuples > 0 THEN m.reltuples::bigint END                 AS estimated_rows,
           pg_catalog.pg_stat_get_last_analyze_time(m.oid)::text                  AS last_analyze,
           pg_catalog.pg_stat_get_last_autoanalyze_time(m.oid)::text              AS last_autoanalyze,
           count(*) FILTER (WHERE m.readable) OVER ()                             AS missing,
           count(*) FILTER (WHERE NOT m.readable) OVER ()                         AS unreadable
    FROM m
    WHERE m.bytes >= ?
    ORDER BY m.readable DESC, m.bytes DESC, 1
    LIMIT ?
)
SELECT f.*,
       (SELECT count(*) FROM t WHERE t.locked)                                    AS locked
FROM (SELECT 1) one
LEFT JOIN found f ON true
