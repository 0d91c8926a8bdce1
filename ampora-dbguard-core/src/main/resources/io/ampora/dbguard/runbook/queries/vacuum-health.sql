-- Tables whose dead tuples exceed their autovacuum threshold, or that changed but were never analyzed.
-- Thresholds follow autovacuum's own formula: threshold + scale_factor * reltuples, with the table's
-- reloptions (autovacuum_vacuum_threshold, ...) taking precedence over the server settings.
-- reltuples is -1 for a table never vacuumed or analyzed (from 14), 0 before: both count as 0 here.
WITH t AS (
    SELECT s.relid,
           format('%I.%I', s.schemaname, s.relname)                       AS table_name,
           greatest(c.reltuples, 0)                                       AS reltuples,
           s.n_live_tup,
           s.n_dead_tup,
           s.n_mod_since_analyze,
           coalesce(s.last_vacuum, s.last_autovacuum) IS NULL             AS never_vacuumed,
           coalesce(s.last_analyze, s.last_autoanalyze) IS NULL           AS never_analyzed,
           greatest(s.last_vacuum, s.last_autovacuum)                     AS last_vacuum,
           greatest(s.last_analyze, s.last_autoanalyze)                   AS last_analyze,
           coalesce((SELECT o.option_value::float8 FROM pg_catalog.pg_options_to_table(c.reloptions) o
                      WHERE o.option_name = 'autovacuum_vacuum_threshold'),
                    pg_catalog.current_setting('autovacuum_vacuum_threshold')::float8)     AS vacuum_threshold,
           coalesce((SELECT o.option_value::float8 FROM pg_catalog.pg_options_to_table(c.reloptions) o
                      WHERE o.option_name = 'autovacuum_vacuum_scale_factor'),
                    pg_catalog.current_setting('autovacuum_vacuum_scale_factor')::float8)  AS vacuum_scale,
           coalesce((SELECT o.option_value::float8 FROM pg_catalog.pg_options_to_table(c.reloptions) o
                      WHERE o.option_name = 'autovacuum_analyze_threshold'),
                    pg_catalog.current_setting('autovacuum_analyze_threshold')::float8)    AS analyze_threshold,
           coalesce((SELECT o.option_value::float8 FROM pg_catalog.pg_options_to_table(c.reloptions) o
                      WHERE o.option_name = 'autovacuum_analyze_scale_factor'),
                    pg_catalog.current_setting('autovacuum_analyze_scale_factor')::float8) AS analyze_scale,
           coalesce((SELECT o.option_value::boolean FROM pg_catalog.pg_options_to_table(c.reloptions) o
                      WHERE o.option_name = 'autovacuum_enabled'), true)
               AND pg_catalog.current_setting('autovacuum')::boolean                      AS autovacuum_on
    FROM pg_catalog.pg_stat_user_tables s
    JOIN pg_catalog.pg_class c ON c.oid = s.relid
    WHERE c.relkind IN ('r', 'm')
)
SELECT t.table_name,
       t.n_live_tup,
       t.n_dead_tup,
       t.n_mod_since_analyze,
       t.never_vacuumed,
       t.never_analyzed,
       t.last_vacuum::text  AS last_vacuum,
       t.last_analyze::text AS last_analyze,
       t.autovacuum_on,
       (t.vacuum_threshold + t.vacuum_scale * t.reltuples)::bigint   AS dead_limit,
       (t.analyze_threshold + t.analyze_scale * t.reltuples)::bigint AS analyze_limit
FROM t
WHERE t.n_dead_tup > t.vacuum_threshold + t.vacuum_scale * t.reltuples
   OR (t.never_analyzed AND t.n_mod_since_analyze > t.analyze_threshold + t.analyze_scale * t.reltuples)
ORDER BY t.n_dead_tup DESC, t.n_mod_since_analyze DESC, t.table_name
