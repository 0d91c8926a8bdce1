-- The current database's temporary files since its statistics were last reset (stats_reset NULL:
-- since they began), every statement included (those pg_stat_statements does not keep, failed ones too).
SELECT d.temp_files,
       d.temp_bytes,
       d.stats_reset::text AS stats_reset
FROM pg_catalog.pg_stat_database d
WHERE d.datname = pg_catalog.current_database()
