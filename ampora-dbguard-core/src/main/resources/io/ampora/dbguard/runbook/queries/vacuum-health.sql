-- Tables whose dead tuples exceed their autovacuum threshold, or that changed but were never analyzed.
-- Thresholds follow autovacuum's own formula: threshold + scale_factor * reltuples, with the table's
-- reloptions (autovacuum_vacuum_threshold, ...) taking precedence over the server settings.
-- reltuples is -1 for a table never vacuumed or analyzed (from 14), 0 before: both count as 0 here.
-- Statistics are read with the pg_stat_get_* functions by oid (what pg_stat_user_tables does, without
-- its per-table join to pg_index), and reloptions are parsed only for tables that have some.
WITH s AS (
    SELECT c.oid,
           n.nspname,
           c.relname,
           greatest(c.reltuples, 0)                                   AS reltuples,
           c.reloptions,
           pg_catalog.pg_stat_get_live_tuples(c.oid)                  AS n_live_tup,
           pg_catalog.pg_stat_get_dead_tuples(c.oid)                  AS n_dead_tup,
           pg_catalog.pg_stat_get_mod_since_analyze(c.oid)            AS n_mod_since_analyze,
           greatest(pg_catalog.pg_stat_get_last_vacuum_time(c.oid),
                    pg_catalog.pg_stat_get_last_autovacuum_time(c.oid))  AS last_vacuum,
           greatest(pg_catalog.pg_stat_get_last_analyze_time(c.oid),
                    pg_catalog.pg_stat_get_last_autoanalyze_time(c.oid)) AS last_analyze
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'm')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname !~ '^pg_toast'
), t AS (
    SELECT s.*,
           coalesce(o.vacuum_threshold, pg_catalog.current_setting('autovacuum_vacuum_threshold')::float8)        AS vacuum_threshold,
           coalesce(o.vacuum_scale, pg_catalog.current_setting('autovacuum_vacuum_scale_factor')::float8)         AS vacuum_scale,
           coalesce(o.analyze_threshold, pg_catalog.current_setting('autovacuum_analyze_threshold')::float8)      AS analyze_threshold,
           coalesce(o.analyze_scale, pg_catalog.current_setting('autovacuum_analyze_scale_factor')::float8)       AS analyze_scale,
           coalesce(o.enabled, true) AND pg_catalog.current_setting('autovacuum')::boolean                         AS autovacuum_on
    FROM s
    LEFT JOIN LATERAL (
        SELECT max(CASE WHEN x.option_name = 'autovacuum_vacuum_threshold' THEN x.option_value END)::float8      AS vacuum_threshold,
               max(CASE WHEN x.option_name = 'autovacuum_vacuum_scale_factor' THEN x.option_value END)::float8   AS vacuum_scale,
               max(CASE WHEN x.option_name = 'autovacuum_analyze_threshold' THEN x.option_value END)::float8     AS analyze_threshold,
               max(CASE WHEN x.option_name = 'autovacuum_analyze_scale_factor' THEN x.option_value END)::float8  AS analyze_scale,
               max(CASE WHEN x.option_name = 'autovacuum_enabled' THEN x.option_value END)::boolean              AS enabled
        FROM pg_catalog.pg_options_to_table(s.reloptions) x
    ) o ON s.reloptions IS NOT NULL
)
SELECT format('%I.%I', t.nspname, t.relname)                    AS table_name,
       t.n_live_tup,
       t.n_dead_tup,
       t.n_mod_since_analyze,
       t.last_vacuum IS NULL                                    AS never_vacuumed,
       t.last_analyze IS NULL                                   AS never_analyzed,
       t.last_vacuum::text                                      AS last_vacuum,
       t.last_vacuum                                            AS last_vacuum_time,
       t.last_analyze::text                                     AS last_analyze,
       t.autovacuum_on,
       (t.vacuum_threshold + t.vacuum_scale * t.reltuples)::bigint   AS dead_limit,
       (t.analyze_threshold + t.analyze_scale * t.reltuples)::bigint AS analyze_limit
FROM t
WHERE t.n_dead_tup > t.vacuum_threshold + t.vacuum_scale * t.reltuples
   OR (t.last_analyze IS NULL AND t.n_mod_since_analyze > t.analyze_threshold + t.analyze_scale * t.reltuples)
ORDER BY t.n_dead_tup DESC, t.n_mod_since_analyze DESC, table_name
