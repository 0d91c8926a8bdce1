-- Physical standbys streaming from this server, as the primary sees them (one row per WAL sender;
-- logical subscribers and base backups are left out).
-- A standby that is configured but has no row here is disconnected. Without pg_read_all_stats, other
-- roles' rows keep pid, usename and application_name, but state and LSNs are NULL (hidden = true).
-- replay_lag is NULL when the standby is idle and caught up; bytes_behind is measured against the
-- current WAL position (the last replayed one when this server is itself a standby, cascading).
SELECT r.pid,
       coalesce(r.application_name, '')                          AS application_name,
       coalesce(pg_catalog.host(r.client_addr), 'local socket')  AS client_addr,
       r.usename::text                                           AS user_name,
       r.state,
       r.sync_state,
       (r.state IS NULL)                                         AS hidden,
       extract(epoch FROM r.replay_lag)                          AS replay_lag_seconds,
       pg_catalog.pg_wal_lsn_diff(
           CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_last_wal_replay_lsn()
                ELSE pg_catalog.pg_current_wal_lsn() END,
           r.replay_lsn)                                         AS bytes_behind,
       r.replay_lsn::text                                        AS replay_lsn
FROM pg_catalog.pg_stat_replication r
LEFT JOIN pg_catalog.pg_replication_slots s ON s.active_pid = r.pid
WHERE coalesce(s.slot_type, 'physical') = 'physical'
  AND r.state IS DISTINCT FROM 'backup'
ORDER BY r.application_name, r.pid
