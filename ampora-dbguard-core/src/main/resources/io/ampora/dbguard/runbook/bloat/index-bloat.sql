-- Btree index bloat estimated from statistics: no scan, no extension, no lock.
-- Leaf pages a fresh build would need = reltuples / tuples per leaf page, where an index tuple is its
-- item pointer (4) and MAXALIGN(8-byte header [+ 4-byte null bitmap, header MAXALIGNed to 16] + data),
-- data = sum over the index's columns (INCLUDE columns too: leaf tuples carry them) of
-- (1 - null_frac) * avg_width, from the table's column statistics or, for an expression, from the
-- statistics ANALYZE keeps under the index's own name. A leaf page holds
-- (block_size - 24 header - 16 special) * fillfactor (90 by default); internal pages and the metapage
-- are added. Bloat = relpages - that. Only valid btree indexes of at least ? bytes (relpages).
-- pg_stats is read per index column (LATERAL, through the catalogs' indexes), never joined whole by name:
-- that join grows with the square of the schema (116 s at 20,000 indexes for one peer tool).
WITH ix AS (
    SELECT i.indexrelid,
           i.indrelid,
           i.indkey,
           n.nspname,
           ic.relname                                                             AS index_name,
           tc.relname                                                             AS table_name,
           tn.nspname                                                             AS table_schema,
           ic.relpages::bigint                                                    AS relpages,
           ic.reltuples::float8                                                   AS reltuples,
           coalesce((SELECT o.option_value::int
                     FROM pg_catalog.pg_options_to_table(ic.reloptions) o
                     WHERE o.option_name = 'fillfactor'), 90)                    AS fillfactor,
           i.indisprimary OR i.indisunique                                        AS is_unique,
           pg_catalog.pg_stat_get_mod_since_analyze(i.indrelid)                   AS n_mod_since_analyze,
           greatest(pg_catalog.pg_stat_get_last_analyze_time(i.indrelid),
                    pg_catalog.pg_stat_get_last_autoanalyze_time(i.indrelid))    AS last_analyze,
           tc.reltuples::float8                                                   AS table_reltuples
    FROM pg_catalog.pg_index i
    JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_catalog.pg_am am ON am.oid = ic.relam AND am.amname = 'btree'
    JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
    JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid
    JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
    WHERE ic.relkind = 'i'
      AND i.indisvalid
      AND ic.relpages::bigint * pg_catalog.current_setting('block_size')::bigint >= ?
      AND ic.relpages > 0
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname !~ '^pg_toast'
      AND NOT pg_catalog.pg_is_other_temp_schema(n.oid)
), cols AS (
    -- one row per index column: whose statistics describe it
    SELECT ix.indexrelid,
           CASE WHEN k.attnum <> 0 THEN ix.table_schema ELSE ix.nspname END     AS stat_schema,
           CASE WHEN k.attnum <> 0 THEN ix.table_name ELSE ix.index_name END    AS stat_table,
           CASE WHEN k.attnum <> 0 THEN ta.attname ELSE ia.attname END          AS stat_column
    FROM ix
    CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
    LEFT JOIN pg_catalog.pg_attribute ta ON ta.attrelid = ix.indrelid AND ta.attnum = k.attnum AND k.attnum <> 0
    LEFT JOIN pg_catalog.pg_attribute ia ON ia.attrelid = ix.indexrelid AND ia.attnum = k.ord
), w AS (
    SELECT cols.indexrelid,
           sum((1 - st.null_frac) * st.avg_width)  AS data_width,
           max(st.null_frac) > 0                    AS has_nulls,
           count(st.avg_width) = count(*)           AS all_columns
    FROM cols
    -- per index column, so the view's filters reach the catalogs' indexes: a few index lookups each
    LEFT JOIN LATERAL (
        SELECT s.null_frac, s.avg_width
        FROM pg_catalog.pg_stats s
        WHERE s.schemaname = cols.stat_schema
          AND s.tablename = cols.stat_table
          AND s.attname = cols.stat_column
          AND NOT s.inherited
    ) st ON true
    GROUP BY cols.indexrelid
), e AS (
    SELECT ix.*,
           CASE WHEN w.all_columns THEN w.data_width END    AS data_width,
           pg_catalog.current_setting('block_size')::bigint AS bs,
           4 + 8 * ceil(((CASE WHEN w.has_nulls THEN 16 ELSE 8 END) + w.data_width) / 8.0) AS tuple_bytes
    FROM ix
    JOIN w ON w.indexrelid = ix.indexrelid
), l AS (
    SELECT e.*,
           -- an empty index needs no leaf page, whatever the widths
           CASE WHEN e.reltuples = 0 THEN 0
                WHEN e.data_width IS NOT NULL AND e.reltuples > 0 THEN
               ceil(e.reltuples / greatest(1, floor((e.bs - 40) * e.fillfactor / 100.0 / e.tuple_bytes)))
           END AS leaf_pages
    FROM e
), p AS (
    -- internal pages: one downlink per page below, filled to 70%; plus the metapage
    SELECT l.*,
           l.leaf_pages + 1 + coalesce(ceil(l.leaf_pages * l.tuple_bytes / ((l.bs - 40) * 0.7)), 0) AS expected_pages
    FROM l
)
SELECT p.indexrelid::bigint                                                      AS relid,
       pg_catalog.format('%I.%I', p.nspname, p.index_name)                       AS relation,
       pg_catalog.format('%I.%I', p.table_schema, p.table_name)                  AS table_name,
       p.relpages * p.bs                                                         AS size_bytes,
       -- staleness is judged against the table's rows (the statistics are the table's)
       p.table_reltuples::bigint                                                 AS reltuples,
       p.reltuples::bigint                                                       AS index_tuples,
       p.fillfactor,
       p.is_unique,
       p.expected_pages,
       greatest(p.relpages - p.expected_pages, 0) * p.bs                        AS reclaimable_bytes,
       round((100.0 * greatest(p.relpages - p.expected_pages, 0) / p.relpages)::numeric, 1)::float8 AS bloat_percent,
       p.expected_pages IS NULL                                                  AS no_statistics,
       p.n_mod_since_analyze,
       p.last_analyze::text                                                      AS last_analyze,
       extract(epoch FROM pg_catalog.now() - p.last_analyze)::float8             AS statistics_age_seconds
FROM p
ORDER BY reclaimable_bytes DESC NULLS LAST, relation
