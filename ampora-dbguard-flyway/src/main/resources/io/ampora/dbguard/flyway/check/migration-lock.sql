-- Who holds Flyway's advisory lock for one history table. Flyway takes pg_try_advisory_xact_lock(key)
-- (pg_try_advisory_lock without transactional locking); a bigint key shows in pg_locks as
-- classid = high 32 bits, objid = low 32 bits, objsubid = 1. Flyway polls with try-lock, so waiting
-- migrators do not appear: only the holder does.
-- Flyway takes the lock on its schema-history connection and migrates on a second one, so a healthy
-- holder sits "idle in transaction" while its companion session (same user, client and application,
-- inside a transaction) runs the migration; a holder without such a companion is stuck.
-- Parameters: 1 = high 32 bits, 2 = low 32 bits.
SELECT l.pid,
       l.granted,
       a.usename::text                                        AS user_name,
       a.application_name,
       pg_catalog.host(a.client_addr)                         AS client_addr,
       a.backend_start,
       a.xact_start,
       a.state,
       a.state_change,
       a.query,
       EXTRACT(EPOCH FROM (pg_catalog.now() - a.state_change)) AS state_seconds,
       EXTRACT(EPOCH FROM (pg_catalog.now() - coalesce(a.xact_start, a.backend_start))) AS held_seconds,
       (a.pid = pg_catalog.pg_backend_pid())                  AS is_self,
       w.pid                                                  AS worker_pid,
       w.state                                                AS worker_state,
       w.query                                                AS worker_query
FROM pg_catalog.pg_locks l
LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
LEFT JOIN LATERAL (
    SELECT b.pid, b.state, b.query
    FROM pg_catalog.pg_stat_activity b
    WHERE b.pid <> a.pid
      AND b.pid <> pg_catalog.pg_backend_pid()
      AND b.datid = a.datid
      AND b.usesysid = a.usesysid
      AND b.application_name = a.application_name
      AND b.client_addr IS NOT DISTINCT FROM a.client_addr
      AND b.xact_start IS NOT NULL
    ORDER BY b.state = 'active' DESC, b.xact_start
    LIMIT 1
) w ON a.state LIKE 'idle%'
WHERE l.locktype = 'advisory'
  AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
  AND l.classid::bigint = ?
  AND l.objid::bigint = ?
  AND l.objsubid = 1
ORDER BY l.granted DESC, l.pid
