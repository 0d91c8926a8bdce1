-- Extended statistics objects (CREATE STATISTICS, pg_statistic_ext) on tables with data, whose data ANALYZE has not
-- built: CREATE STATISTICS builds none until the next ANALYZE of its table, and pg_upgrade carries none over in any
-- version (PostgreSQL 18 carries only the per-table and per-column statistics).
-- Left out: objects on a table missing-statistics.sql reports itself (never analyzed since the activity statistics
-- began and no pg_stats rows, or not readable): that table's ANALYZE builds them too; objects ANALYZE never builds
-- (statistics target 0 on the object or on one of its columns).
-- The data is read from pg_stats_ext (pg_statistic_ext_data is for superusers):
-- - from PostgreSQL 15 (pg_stats_ext.inherited exists) a row appears only when ANALYZE builds the object: a
--   partitioned table's objects only ever get rows with inherited = true, a plain table's with inherited = false
--   (an inheritance parent's also with true, after a manual ANALYZE, which builds both), so any row means built;
-- - before, the row exists from CREATE STATISTICS on, empty until ANALYZE: built means n_distinct or dependencies is
--   set; an object without ndistinct whose data is empty is not judged (ANALYZE leaves dependencies and mcv empty
--   when the columns have none worth keeping).
-- pg_stats_ext shows an object only to a role that may read it: the table's owner (or a member of its role) without
-- row-level security active; on installations created before 14.12/15.7/16.3, and on 13, a role with SELECT on its
-- columns instead. An object without a row is judged only when the role passes both tests; the others are counted
-- apart (readable = false), never reported as missing data.
-- Locks: as in missing-statistics.sql, a table under an ACCESS EXCLUSIVE lock granted or asked for is not measured
-- (that query counts it). pg_get_statisticsobjdef and pg_stats_ext.exprs are not used: deparsing an object's
-- expressions opens its table.
-- Parameters: the minimum size in bytes, how many rows to return.
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
), feature AS MATERIALIZED (
    SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                   WHERE a.attrelid = 'pg_catalog.pg_stats_ext'::pg_catalog.regclass
                     AND a.attname = 'inherited' AND NOT a.attisdropped)     AS row_means_built
), o AS MATERIALIZED (
    SELECT s.oid,
           sn.nspname                                                         AS stx_schema,
           s.stxname,
           s.stxkind,
           s.stxkeys,
           c.oid                                                              AS relid,
           n.nspname,
           c.relname,
           c.relkind = 'p'                                                    AS partitioned,
           c.relowner,
           c.relrowsecurity,
           -- only for the tables the WHERE clause lets through: none under an ACCESS EXCLUSIVE lock
           CASE WHEN c.relkind = 'p'
                THEN (SELECT coalesce(sum(pg_catalog.pg_relation_size(leaf.oid)), 0)
                      FROM tree JOIN pg_catalog.pg_class leaf ON leaf.oid = tree.relid AND leaf.relkind IN ('r', 'm')
                      WHERE tree.root = c.oid)
                ELSE pg_catalog.pg_relation_size(c.oid) END                    AS bytes
    FROM pg_catalog.pg_statistic_ext s
    JOIN pg_catalog.pg_namespace sn ON sn.oid = s.stxnamespace
    JOIN pg_catalog.pg_class c ON c.oid = s.stxrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'm', 'p')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname !~ '^pg_toast'
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                      WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
      -- statistics target 0 (NULL is the default from PostgreSQL 17, -1 before)
      AND coalesce(s.stxstattarget, -1) <> 0
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                      WHERE a.attrelid = c.oid AND a.attnum = ANY (s.stxkeys) AND a.attstattarget = 0)
      AND c.oid NOT IN (SELECT x.relation FROM exclusive x)
      AND NOT (c.relkind = 'p' AND EXISTS (SELECT 1 FROM tree WHERE tree.root = c.oid
                                           AND tree.relid IN (SELECT x.relation FROM exclusive x)))
), big AS (
    SELECT o.*,
           pg_catalog.has_table_privilege(o.relid, 'SELECT')
               AND (NOT o.relrowsecurity OR NOT pg_catalog.row_security_active(o.relid)) AS table_readable,
           pg_catalog.pg_has_role(o.relowner, 'USAGE')
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                               WHERE a.attrelid = o.relid AND a.attnum = ANY (o.stxkeys)
                                 AND NOT pg_catalog.has_column_privilege(o.relid, a.attnum, 'SELECT'))
               AND (NOT o.relrowsecurity OR NOT pg_catalog.row_security_active(o.relid)) AS may_see
    FROM o
    WHERE o.bytes >= ?
), judged AS (
    SELECT o.*,
           EXISTS (SELECT 1 FROM pg_catalog.pg_stats_ext e
                   WHERE e.statistics_schemaname = o.stx_schema AND e.statistics_name = o.stxname) AS shown,
           EXISTS (SELECT 1 FROM pg_catalog.pg_stats_ext e
                   WHERE e.statistics_schemaname = o.stx_schema AND e.statistics_name = o.stxname
                     AND ((SELECT f.row_means_built FROM feature f)
                          OR e.n_distinct IS NOT NULL OR e.dependencies IS NOT NULL))                  AS built,
           -- the table's own line in missing-statistics.sql covers it
           (pg_catalog.pg_stat_get_last_analyze_time(o.relid) IS NULL
            AND pg_catalog.pg_stat_get_last_autoanalyze_time(o.relid) IS NULL
            AND (NOT o.table_readable
                 OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stats st
                                WHERE st.schemaname = o.nspname AND st.tablename = o.relname
                                  AND st.inherited = o.partitioned)))                                AS covered
    FROM big o
), candidates AS MATERIALIZED (
    SELECT j.*, j.shown OR j.may_see AS readable
    FROM judged j
    WHERE NOT j.covered
      AND (NOT (j.shown OR j.may_see)
           OR (NOT j.built AND ((SELECT f.row_means_built FROM feature f) OR 'd' = ANY (j.stxkind))))
)
SELECT pg_catalog.format('%I.%I', c.stx_schema, c.stxname)                     AS statistics_name,
       pg_catalog.format('%I.%I', c.nspname, c.relname)                         AS table_name,
       c.partitioned,
       c.readable,
       c.bytes,
       (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum)
        FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = c.relid AND a.attnum = ANY (c.stxkeys))              AS columns,
       pg_catalog.array_to_string(ARRAY(
           SELECT CASE k WHEN 'd' THEN 'ndistinct' WHEN 'f' THEN 'dependencies' WHEN 'm' THEN 'mcv'
                         WHEN 'e' THEN 'expressions' ELSE k::text END
           FROM pg_catalog.unnest(c.stxkind) k), ', ')                          AS kinds,
       count(*) FILTER (WHERE c.readable) OVER ()                               AS missing,
       count(*) FILTER (WHERE NOT c.readable) OVER ()                           AS hidden
FROM candidates c
ORDER BY c.readable DESC, c.bytes DESC, 1
LIMIT ?
