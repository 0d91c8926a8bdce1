-- Table bloat estimated from the statistics PostgreSQL already keeps: no scan, no extension, no lock.
-- Pages a compact copy would need = reltuples / tuples per page, where a tuple is its item pointer (4),
-- its MAXALIGNed header (23 + null bitmap) and its MAXALIGNed data (sum over columns of
-- (1 - null_frac) * avg_width: avg_width counts non-null values only, as stored in the heap, so a
-- TOASTed value counts as its 18-byte pointer), and a page keeps block_size * (100 - fillfactor) % free.
-- Bloat = relpages - those pages. Only tables of at least ? bytes (relpages, no relation opened).
-- pg_stats is read per candidate table (see the LATERAL below), never joined whole by name.
-- pg_stats shows only columns the role may SELECT: a table without visible statistics is reported as
-- such, with whether it was ever analyzed (pg_stat_get_last_*analyze_time are readable by anyone).
WITH t AS (
    SELECT c.oid,
           n.nspname,
           c.relname,
           c.relpages::bigint                                                     AS relpages,
           c.reltuples::float8                                                    AS reltuples,
           c.relnatts,
           coalesce((SELECT o.option_value::int
                     FROM pg_catalog.pg_options_to_table(c.reloptions) o
                     WHERE o.option_name = 'fillfactor'), 100)                   AS fillfactor,
           coalesce((SELECT o.option_value::boolean
                     FROM pg_catalog.pg_options_to_table(c.reloptions) o
                     WHERE o.option_name = 'autovacuum_enabled'), true)
               AND pg_catalog.current_setting('autovacuum')::boolean             AS autovacuum_on,
           pg_catalog.pg_stat_get_dead_tuples(c.oid)                              AS n_dead_tup,
           pg_catalog.pg_stat_get_mod_since_analyze(c.oid)                        AS n_mod_since_analyze,
           greatest(pg_catalog.pg_stat_get_last_analyze_time(c.oid),
                    pg_catalog.pg_stat_get_last_autoanalyze_time(c.oid))         AS last_analyze
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'm')
      AND c.relpages::bigint * pg_catalog.current_setting('block_size')::bigint >= ?
      AND c.relpages > 0
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname !~ '^pg_toast'
      AND NOT pg_catalog.pg_is_other_temp_schema(n.oid)
), e AS (
    SELECT t.*,
           st.data_width,
           pg_catalog.current_setting('block_size')::bigint AS bs,
           -- item pointer + MAXALIGN(header + null bitmap) + MAXALIGN(data)
           4 + 8 * ceil((23 + CASE WHEN st.has_nulls THEN ceil(t.relnatts / 8.0) ELSE 0 END) / 8.0)
             + 8 * ceil(st.data_width / 8.0)                 AS tuple_bytes
    FROM t
    -- per candidate table, so the view's filters reach pg_class's (relname, relnamespace) index and
    -- pg_statistic's starelid index: a few index lookups per table. A hash or nested-loop join of the
    -- whole view by name grows with the square of the schema (32 s at 10,000 analyzed tables).
    LEFT JOIN LATERAL (
        SELECT sum((1 - s.null_frac) * s.avg_width) AS data_width,
               max(s.null_frac) > 0                  AS has_nulls
        FROM pg_catalog.pg_stats s
        WHERE s.schemaname = t.nspname
          AND s.tablename = t.relname
          AND NOT s.inherited
    ) st ON true
), p AS (
    SELECT e.*,
           -- no rows left (counted by VACUUM/ANALYZE): every page is reclaimable, whatever the widths
           CASE WHEN e.reltuples = 0 THEN 0
                WHEN e.data_width IS NOT NULL AND e.reltuples > 0 THEN
               ceil(e.reltuples / least(291, greatest(1, floor(
                   (e.bs - 24 - e.bs * (100 - e.fillfactor) / 100) / e.tuple_bytes))))
           END AS expected_pages
    FROM e
)
SELECT p.oid::bigint                                                             AS relid,
       pg_catalog.format('%I.%I', p.nspname, p.relname)                          AS relation,
       pg_catalog.format('%I.%I', p.nspname, p.relname)                          AS table_name,
       p.relpages * p.bs                                                         AS size_bytes,
       p.reltuples::bigint                                                       AS reltuples,
       p.fillfactor,
       p.expected_pages,
       greatest(p.relpages - p.expected_pages, 0) * p.bs                        AS reclaimable_bytes,
       round((100.0 * greatest(p.relpages - p.expected_pages, 0) / p.relpages)::numeric, 1)::float8 AS bloat_percent,
       p.expected_pages IS NULL                                                  AS no_statistics,
       p.n_mod_since_analyze,
       p.n_dead_tup,
       p.autovacuum_on,
       p.last_analyze::text                                                      AS last_analyze,
       extract(epoch FROM pg_catalog.now() - p.last_analyze)::float8             AS statistics_age_seconds
FROM p
ORDER BY reclaimable_bytes DESC NULLS LAST, relation
