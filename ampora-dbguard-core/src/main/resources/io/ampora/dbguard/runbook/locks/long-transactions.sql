-- Client sessions inside a transaction, oldest first (runbook 7).
-- age(backend_xmin) says how many transactions the session holds vacuum's horizon back by.
-- Without pg_read_all_stats, other roles' xact_start, state and query are hidden (backend_type is NULL),
-- but backend_xid, backend_xmin and pg_locks stay readable: a hidden session is known to be inside a
-- transaction when it holds its virtualxid lock, which every transaction takes for its whole life.
--
-- Sessions of other databases are left out: their locks and snapshots do not touch this one.
-- Parameter 1: the guard's own application_name, whose sessions are left out.
SELECT a.pid,
       (a.backend_type IS NULL)                  AS hidden,
       coalesce(a.usename::text, '')             AS user_name,
       coalesce(a.application_name, '')          AS application_name,
       pg_catalog.host(a.client_addr)            AS client_addr,
       a.state,
       (a.wait_event_type = 'Lock')              AS waiting_on_lock,
       a.query,
       EXTRACT(epoch FROM pg_catalog.clock_timestamp() - a.xact_start)   AS xact_seconds,
       EXTRACT(epoch FROM pg_catalog.clock_timestamp() - a.state_change) AS state_seconds,
       pg_catalog.age(a.backend_xmin)            AS xmin_age,
       a.backend_xid::text                       AS xid,
       pg_catalog.quote_ident(current_user::text) AS role_ident
FROM pg_catalog.pg_stat_activity a
WHERE a.datname = pg_catalog.current_database()
  AND a.pid <> pg_catalog.pg_backend_pid()
  AND a.application_name IS DISTINCT FROM ?
  AND ((a.backend_type = 'client backend' AND a.xact_start IS NOT NULL)
       OR (a.backend_type IS NULL
           AND a.usesysid IS NOT NULL
           AND EXISTS (SELECT 1
                       FROM pg_catalog.pg_locks l
                       WHERE l.pid = a.pid
                         AND l.locktype = 'virtualxid'
                         AND l.granted)))
ORDER BY a.xact_start NULLS LAST, a.pid
