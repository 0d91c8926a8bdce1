-- The CONNECTION LIMIT of the pool's role and of the current database (-1: none; superusers are held to neither),
-- with the client sessions each already has from other applications (the pool's own application_name, the
-- guard's sessions and this session left out). ? 1: the pool's role (null: the session's), ? 2: its application_name.
SELECT r.rolname,
       pg_catalog.quote_ident(r.rolname)               AS role_ident,
       r.rolconnlimit,
       r.rolsuper,
       count(a.pid) FILTER (WHERE a.usesysid = r.oid)  AS role_other_sessions,
       d.datname,
       pg_catalog.quote_ident(d.datname)               AS database_ident,
       d.datconnlimit,
       count(a.pid) FILTER (WHERE a.datid = d.oid)     AS database_other_sessions
FROM pg_catalog.pg_roles r
CROSS JOIN pg_catalog.pg_database d
LEFT JOIN pg_catalog.pg_stat_activity a
       ON a.pid <> pg_catalog.pg_backend_pid()
      AND (a.backend_type = 'client backend' OR (a.backend_type IS NULL AND a.usesysid IS NOT NULL))
      AND coalesce(a.application_name, '') <> ?::text
      AND coalesce(a.application_name, '') NOT LIKE 'ampora-dbguard%'
WHERE r.rolname::text = coalesce(?::text, session_user::text)
  AND d.datname = pg_catalog.current_database()
GROUP BY r.rolname, r.rolconnlimit, r.rolsuper, d.datname, d.datconnlimit
