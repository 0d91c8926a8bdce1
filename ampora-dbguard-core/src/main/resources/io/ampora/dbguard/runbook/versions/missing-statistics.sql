-- Tables with data and no planner statistics (no row in pg_stats), and partitioned tables whose partitions hold data
-- and that have no statistics of their own (pg_stats with inherited = true: autovacuum never analyzes them).
-- pg_stats shows a table's rows only to a role that may read its columns and for which row-level security is not
-- active; such tables are counted apart (readable = false), never reported as missing statistics.
-- Extension tables are left out. Parameters: the minimum size in bytes, how many rows to return.
WITH t AS (
    SELECT c.oid,
           n.nspname,
           c.relname,
           c.relkind = 'p'                                                         AS partitioned,
           c.reltuples,
           pg_catalog.has_table_privilege(c.oid, 'SELECT')
               AND (NOT c.relrowsecurity OR NOT pg_catalog.row_security_active(c.oid)) AS readable,
           CASE WHEN c.relkind = 'p'
                THEN (SELECT coalesce(sum(pg_catalog.pg_relation_size(p.relid)), 0)
                      FROM pg_catalog.pg_partition_tree(c.oid) p WHERE p.isleaf)
                ELSE pg_catalog.pg_relation_size(c.oid) END                       AS bytes
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'm', 'p')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname !~ '^pg_toast'
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                      WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
), m AS (
    SELECT t.*,
           NOT t.readable
               OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stats s
                              WHERE s.schemaname = t.nspname AND s.tablename = t.relname
                                AND s.inherited = t.partitioned)                   AS suspect
    FROM t
    WHERE t.bytes >= ?
)
SELECT pg_catalog.format('%I.%I', m.nspname, m.relname)                           AS table_name,
       m.partitioned,
       m.readable,
       m.bytes,
       CASE WHEN m.reltuples > 0 THEN m.reltuples::bigint END                     AS estimated_rows,
       pg_catalog.pg_stat_get_last_analyze_time(m.oid)::text                      AS last_analyze,
       pg_catalog.pg_stat_get_last_autoanalyze_time(m.oid)::text                  AS last_autoanalyze,
       count(*) FILTER (WHERE m.readable) OVER ()                                 AS missing,
       count(*) FILTER (WHERE NOT m.readable) OVER ()                             AS unreadable
FROM m
WHERE m.suspect
ORDER BY m.readable DESC, m.bytes DESC, 1
LIMIT ?
