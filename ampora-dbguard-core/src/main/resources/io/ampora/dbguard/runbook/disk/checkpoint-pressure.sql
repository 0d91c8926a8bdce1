-- How often checkpoints were requested (WAL reached max_wal_size, or a CHECKPOINT, a base backup, a CREATE DATABASE
-- with the file_copy strategy) rather than timed (checkpoint_timeout), with the settings that decide it. Where the
-- counters live moved in PostgreSQL 17 (pg_stat_bgwriter -> pg_stat_checkpointer) and pg_stat_wal exists from 14:
-- decided by the views this server has, read through to_jsonb so that absent columns read NULL. Settings through
-- current_setting (pg_settings builds every setting's row: a few ms). What identifies the server, the way
-- replica-conflicts does, keys the readings the check keeps to judge a recent window: pg_control_system() is for
-- superusers and pg_monitor-like grants only, without it the identifier is NULL.
SELECT pg_catalog.to_regclass('pg_catalog.pg_stat_checkpointer') IS NOT NULL        AS has_checkpointer,
       pg_catalog.to_regclass('pg_catalog.pg_stat_wal') IS NOT NULL                 AS has_stat_wal,
       (pg_catalog.to_jsonb(b) ->> 'checkpoints_timed')::bigint                      AS timed,
       (pg_catalog.to_jsonb(b) ->> 'checkpoints_req')::bigint                        AS requested,
       b.stats_reset                                                                 AS stats_reset,
       pg_catalog.pg_is_in_recovery()                                                AS in_recovery,
       CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL
            ELSE pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), '0/0')::bigint END AS wal_position,
       pg_catalog.pg_size_bytes(pg_catalog.current_setting('max_wal_size'))         AS max_wal_size_bytes,
       pg_catalog.current_setting('max_wal_size')                                    AS max_wal_size,
       pg_catalog.current_setting('checkpoint_timeout')                              AS checkpoint_timeout,
       EXTRACT(epoch FROM pg_catalog.current_setting('checkpoint_timeout')::interval)::bigint AS checkpoint_timeout_seconds,
       pg_catalog.current_setting('checkpoint_completion_target')::float8            AS completion_target,
       CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE')
            THEN (SELECT s.system_identifier::text FROM pg_catalog.pg_control_system() s)
       END                                                                           AS system_identifier,
       coalesce(pg_catalog.host(pg_catalog.inet_server_addr()), 'local socket')     AS server_addr,
       pg_catalog.inet_server_port()                                                 AS server_port
FROM pg_catalog.pg_stat_bgwriter b
