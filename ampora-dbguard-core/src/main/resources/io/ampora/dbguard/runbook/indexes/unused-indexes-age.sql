-- How long the index scan counts have been counting: since the database's statistics were last reset,
-- else (never reset) at least since the server started (a crash discards statistics at startup).
SELECT extract(epoch FROM pg_catalog.now()
               - coalesce(pg_catalog.pg_stat_get_db_stat_reset_time(d.oid), pg_catalog.pg_postmaster_start_time()))::float8 AS age_seconds,
       pg_catalog.pg_stat_get_db_stat_reset_time(d.oid) IS NOT NULL AS was_reset
FROM pg_catalog.pg_database d
WHERE d.datname = pg_catalog.current_database()
