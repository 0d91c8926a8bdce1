-- Where pg_stat_statements lives and which time columns its installed version has:
-- 1.8+ (PostgreSQL 13+) total_exec_time/mean_exec_time, older total_time/mean_time.
SELECT format('%I.%I', n.nspname, c.relname)                  AS view_name,
       e.extversion,
       bool_or(a.attname = 'mean_exec_time')                  AS has_exec_time,
       bool_or(a.attname = 'mean_time')                       AS has_time
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
JOIN pg_catalog.pg_class c     ON c.relnamespace = n.oid AND c.relname = 'pg_stat_statements'
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE e.extname = 'pg_stat_statements'
GROUP BY 1, 2
