-- Client sessions idle inside a transaction, longest idle first (runbook 7): they hold their locks
-- and snapshot while doing nothing, usually a missing commit or rollback.
-- 'idle in transaction (aborted)' is the same after an error nobody rolled back.
-- Without pg_read_all_stats, other roles' state is hidden (backend_type is NULL); a hidden session
-- holding its virtualxid lock (every transaction does) is inside a transaction, idle or not.
--
-- Sessions of other databases are left out: their locks and snapshots do not touch this one.
-- Parameter 1: the guard's own application_name, whose sessions are left out.
SELECT a.pid,
       (a.backend_type IS NULL)                  AS hidden,
       coalesce(a.usename::text, '')             AS user_name,
       coalesce(a.application_name, '')          AS application_name,
       pg_catalog.host(a.client_addr)            AS client_addr,
       a.state,
       false                                     AS waiting_on_lock, -- idle sessions wait for nothing
       a.query,
       EXTRACT(epoch FROM pg_catalog.clock_timestamp() - a.state_change) AS state_seconds, -- how long idle
       EXTRACT(epoch FROM pg_catalog.clock_timestamp() - a.xact_start)   AS xact_seconds,
       pg_catalog.age(a.backend_xmin)            AS xmin_age,
       pg_catalog.quote_ident(current_user::text) AS role_ident
FROM pg_catalog.pg_stat_activity a
WHERE a.datname = pg_catalog.current_database()
  AND a.pid <> pg_catalog.pg_backend_pid()
  AND a.application_name IS DISTINCT FROM ?
  AND (a.state IN ('idle in transaction', 'idle in transaction (aborted)')
       OR (a.backend_type IS NULL
           AND a.usesysid IS NOT NULL
           AND EXISTS (SELECT 1
                       FROM pg_catalog.pg_locks l
                       WHERE l.pid = a.pid
                         AND l.locktype = 'virtualxid'
                         AND l.granted)))
ORDER BY a.state_change NULLS LAST, a.pid
