-- jsonb columns of tables (partitioned parents, not their partitions) with the GIN operator classes of
-- the valid, non-partial indexes on each column, the table's size and its sequential scans.
-- Partitioned parents have no statistics of their own: their partitions' are summed.
-- Bind parameter: the minimum (estimated) number of rows.
WITH cols AS (
    SELECT c.oid,
           c.relname::text                                         AS table_simple_name,
           format('%I.%I', n.nspname, c.relname)                   AS table_name,
           a.attname::text                                         AS column_name,
           pg_catalog.quote_ident(a.attname)                       AS quoted_column,
           a.attnum,
           c.relkind = 'p'                                         AS partitioned
    FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_class c     ON c.oid = a.attrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE a.atttypid = 'pg_catalog.jsonb'::pg_catalog.regtype
      AND a.attnum > 0
      AND NOT a.attisdropped
      AND c.relkind IN ('r', 'p', 'm')
      AND NOT c.relispartition
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\_toast%'
), rels AS (
    SELECT cols.*,
           CASE WHEN cols.partitioned
                THEN ARRAY(SELECT pt.relid FROM pg_catalog.pg_partition_tree(cols.oid) pt WHERE pt.isleaf)
                ELSE ARRAY[cols.oid] END AS leaves
    FROM cols
), sized AS (
    -- statistics functions by oid, not the pg_stat_user_tables view: the view joined per column
    -- scans all tables each time, which grows with the square of the schema
    SELECT r.*,
           (SELECT coalesce(sum(greatest(pc.reltuples::bigint, pg_catalog.pg_stat_get_live_tuples(pc.oid))), 0)
              FROM pg_catalog.pg_class pc
             WHERE pc.oid = ANY (r.leaves))::bigint AS estimated_rows
    FROM rels r
)
SELECT r.table_simple_name,
       r.table_name,
       r.column_name,
       r.quoted_column,
       r.partitioned,
       r.estimated_rows,
       (SELECT coalesce(sum(pg_catalog.pg_stat_get_numscans(l.oid)), 0)
          FROM pg_catalog.unnest(r.leaves) AS l(oid))::bigint     AS seq_scan,
       coalesce((SELECT pg_catalog.string_agg(DISTINCT oc.opcname::text, ',')
          FROM pg_catalog.pg_index i
          JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
          JOIN pg_catalog.pg_am am    ON am.oid = ic.relam AND am.amname = 'gin'
          CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(i.indkey::int2[]),
                                        pg_catalog.unnest(i.indclass::oid[])) AS k(attnum, opclass)
          JOIN pg_catalog.pg_opclass oc ON oc.oid = k.opclass
         WHERE i.indrelid = r.oid
           AND i.indisvalid
           AND i.indpred IS NULL
           AND k.attnum = r.attnum), '')                          AS gin_opclasses
FROM sized r
WHERE r.estimated_rows >= ?
ORDER BY r.estimated_rows DESC, r.table_name, r.column_name
