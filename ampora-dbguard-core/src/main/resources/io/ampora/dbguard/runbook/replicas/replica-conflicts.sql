-- Queries of the current database cancelled on this server because of a conflict with WAL replay, one row
-- per kind (pg_stat_database_conflicts counts them only on a hot standby), with what identifies the server
-- and database (to compare with the previous run), since when the counters run, and the standby settings
-- that decide when replay cancels a query. The kinds are read from the view's confl_* columns through
-- to_jsonb, so confl_active_logicalslot (PostgreSQL 16+) appears exactly where the view has it.
-- pg_control_system() is for superusers and pg_monitor-like grants only: without it the identifier is NULL.
SELECT pg_catalog.pg_is_in_recovery()                                          AS in_recovery,
       CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE')
            THEN (SELECT s.system_identifier::text FROM pg_catalog.pg_control_system() s)
       END                                                                     AS system_identifier,
       coalesce(pg_catalog.host(pg_catalog.inet_server_addr()), 'local socket') AS server_addr,
       pg_catalog.inet_server_port()                                           AS server_port,
       d.datname                                                               AS database_name,
       d.stats_reset,
       pg_catalog.pg_postmaster_start_time()                                   AS started_at,
       pg_catalog.current_setting('hot_standby_feedback')                      AS hot_standby_feedback,
       pg_catalog.current_setting('max_standby_streaming_delay')               AS max_standby_streaming_delay,
       pg_catalog.current_setting('max_standby_archive_delay')                 AS max_standby_archive_delay,
       k.kind,
       k.count::bigint                                                         AS count
FROM pg_catalog.pg_stat_database d
JOIN pg_catalog.pg_stat_database_conflicts c ON c.datid = d.datid
CROSS JOIN LATERAL pg_catalog.jsonb_each_text(pg_catalog.to_jsonb(c)) AS k(kind, count)
WHERE d.datname = pg_catalog.current_database()
  AND k.kind LIKE 'confl\_%'
ORDER BY k.kind
