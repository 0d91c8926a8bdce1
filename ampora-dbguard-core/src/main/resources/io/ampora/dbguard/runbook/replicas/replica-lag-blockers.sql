-- Sessions on the replica that hold back WAL replay. A lock the primary took in ACCESS EXCLUSIVE mode
-- (ALTER TABLE, TRUNCATE, DROP, VACUUM truncating a table) is replayed by the startup process, which
-- waits for every replica session holding any lock on that relation, until max_standby_streaming_delay
-- cancels them. pg_blocking_pids() returns nothing for the startup process (seen on 17), hence the
-- pg_locks join; on a standby only the startup process can wait for ACCESS EXCLUSIVE, so the ungranted
-- row identifies it without reading pg_stat_activity. The sessions' query and state need
-- pg_read_all_stats when they belong to other roles.
SELECT DISTINCT ON (h.pid)
       h.pid,
       coalesce(b.usename::text, '')                             AS user_name,
       coalesce(b.application_name, '')                          AS application_name,
       coalesce(b.state, '')                                     AS state,
       coalesce(b.query, '')                                     AS query,
       extract(epoch FROM pg_catalog.clock_timestamp() - b.xact_start) AS xact_age_seconds,
       w.relation::pg_catalog.regclass::text                     AS relation
FROM pg_catalog.pg_locks w
JOIN pg_catalog.pg_locks h
  ON h.granted
 AND h.locktype = w.locktype
 AND h.database IS NOT DISTINCT FROM w.database
 AND h.relation IS NOT DISTINCT FROM w.relation
 AND h.pid IS DISTINCT FROM w.pid
LEFT JOIN pg_catalog.pg_stat_activity b ON b.pid = h.pid
WHERE NOT w.granted
  AND w.mode = 'AccessExclusiveLock'
  AND w.locktype = 'relation'
  AND h.pid IS NOT NULL
ORDER BY h.pid
