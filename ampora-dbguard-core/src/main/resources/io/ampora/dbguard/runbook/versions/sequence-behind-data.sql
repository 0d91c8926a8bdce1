-- Sequences feeding a column (serial: pg_depend 'a', identity: 'i') that are behind ids the column already
-- holds: when it holds the next value, every insert that takes its id from the sequence fails with
-- "duplicate key value violates unique constraint" (23505) until the sequence passes the data; when the
-- first taken id lies further on, inserts fail once the sequence reaches it. What a data-only restore, a COPY of rows with
-- their ids, an ETL load or a switch to a logical replica leaves behind (logical replication copies rows,
-- not sequence values), and the sequence check (exhaustion) cannot see.
--
-- max(column) costs a query per table (query_to_xml, so it stays one read-only statement), so only
-- candidates are measured: a table with rows whose sequence was never called since it was created or reset,
-- or is below the table's row estimate (ids from the start value, one step at a time, reach the row count),
-- on a column some btree index leads with (max() then reads one index page), readable by the role, at
-- most ? of them, the largest tables first. Partitioned tables count their leaf partitions' rows. A table
-- whose row-level security is active for the role is not measured (max() would see only the visible rows,
-- or the policy would raise): it is returned by name instead.
-- Ascending sequences only (a negative increment is left alone).
WITH owned AS (
    SELECT s.seqrelid,
           format('%I.%I', sn.nspname, sc.relname)                     AS sequence_name,
           t.oid                                                       AS table_oid,
           format('%I.%I', tn.nspname, t.relname)                      AS table_name,
           a.attnum,
           a.attname::text                                             AS column_name,
           pg_catalog.quote_ident(a.attname)                           AS column_ident,
           d.deptype = 'i'                                             AS is_identity,
           s.seqstart,
           s.seqincrement,
           pg_catalog.has_sequence_privilege(s.seqrelid, 'SELECT,USAGE')
               AND pg_catalog.has_column_privilege(t.oid, a.attnum, 'SELECT') AS readable,
           CASE WHEN t.relkind = 'p'
                THEN (SELECT coalesce(sum(greatest(lc.reltuples, 0)), 0)
                      FROM pg_catalog.pg_partition_tree(t.oid) pt
                      JOIN pg_catalog.pg_class lc ON lc.oid = pt.relid
                      WHERE pt.isleaf)
                ELSE greatest(t.reltuples, pg_catalog.pg_stat_get_live_tuples(t.oid), 0) END AS estimated_rows,
           -- rows by any account that needs no lock: the estimate, the live rows counted (a load not yet
           -- analyzed), pages; an empty table cannot collide
           (t.relkind = 'p' OR t.reltuples > 0 OR t.relpages > 0
            OR pg_catalog.pg_stat_get_live_tuples(t.oid) > 0)                AS has_rows,
           -- the role's policies would hide rows from max(): such a table cannot be judged by this role
           pg_catalog.row_security_active(t.oid)                    AS rls_active,
           EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                   WHERE i.indrelid = t.oid AND i.indkey[0] = a.attnum AND i.indisvalid
                     AND (SELECT am.amname FROM pg_catalog.pg_class ic JOIN pg_catalog.pg_am am ON am.oid = ic.relam
                          WHERE ic.oid = i.indexrelid) = 'btree')      AS indexed
    FROM pg_catalog.pg_sequence s
    JOIN pg_catalog.pg_class sc ON sc.oid = s.seqrelid
    JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = s.seqrelid
                               AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i')
    JOIN pg_catalog.pg_class t ON t.oid = d.refobjid AND t.relkind IN ('r', 'p') AND (t.relpersistence = 'p' OR (t.relpersistence = 'u' AND NOT pg_catalog.pg_is_in_recovery()))
    JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
    JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
    WHERE s.seqincrement > 0
      -- other sessions' temporary objects cannot be read, unlogged ones not during recovery
      AND (sc.relpersistence = 'p' OR (sc.relpersistence = 'u' AND NOT pg_catalog.pg_is_in_recovery()))
), locked AS (
    -- max() waits behind an ACCESS EXCLUSIVE lock (granted or queued): such a table is not measured, so the
    -- check never waits behind the lock it may be diagnosing
    SELECT DISTINCT lk.relation AS oid
    FROM pg_catalog.pg_locks lk
    WHERE lk.locktype = 'relation'
      AND lk.mode = 'AccessExclusiveLock'
      AND lk.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
), stated AS (
    SELECT o.*,
           CASE WHEN o.readable THEN pg_catalog.pg_sequence_last_value(o.seqrelid) END AS last_value
    FROM owned o
), suspects AS (
    SELECT st.*
    FROM stated st
    WHERE st.readable
      AND st.indexed
      AND st.has_rows
      AND (st.last_value IS NULL OR st.last_value < st.estimated_rows)
      AND st.table_oid NOT IN (SELECT oid FROM locked)
), candidates AS (
    SELECT st.*,
           CASE WHEN st.last_value IS NULL THEN st.seqstart::numeric
                ELSE st.last_value::numeric + st.seqincrement END AS next_value
    FROM suspects st
    WHERE NOT st.rls_active
    ORDER BY st.estimated_rows DESC, st.table_name
    LIMIT ?
), measured AS (
    -- the column's maximum, and the first id at or above the sequence's next value: two index probes
    SELECT c.*,
           pg_catalog.query_to_xml(format('SELECT (SELECT max(%1$I) FROM %2$s)::text AS m,'
                                          ' (SELECT min(%1$I) FROM %2$s WHERE %1$I >= %3$s)::text AS f',
                                          c.column_name, c.table_name, c.next_value), false, true, '') AS x
    FROM candidates c
), behind AS (
    SELECT m.sequence_name,
           m.table_name,
           m.column_name,
           m.column_ident,
           m.is_identity,
           m.last_value::text                                            AS last_value,
           m.next_value::text                                            AS next_value,
           (pg_catalog.xpath('/row/m/text()', m.x))[1]::text             AS max_value,
           (pg_catalog.xpath('/row/f/text()', m.x))[1]::text             AS first_taken
    FROM measured m
)
-- one row at least: the counts come with it when no sequence is behind
SELECT b.*,
       (SELECT count(*) FROM stated WHERE NOT readable)    AS unreadable,
       (SELECT count(*) FROM candidates)                   AS measured,
       ARRAY(SELECT h.table_name FROM suspects h WHERE h.rls_active ORDER BY h.table_name) AS hidden_by_rls
FROM (SELECT 1) AS one
LEFT JOIN behind b ON b.first_taken IS NOT NULL
ORDER BY b.table_name, b.column_name
