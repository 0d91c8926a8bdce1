-- The CONNECTION LIMIT of the role this session logged in as and of the current database (-1: none; superusers are
-- held to neither), with the client sessions each has now, this one included (it counts against both).
SELECT r.rolname,
       pg_catalog.quote_ident(r.rolname) AS role_ident,
       r.rolconnlimit,
       r.rolsuper,
       (SELECT count(*)
        FROM pg_catalog.pg_stat_activity a
        WHERE a.usesysid = r.oid
          AND (a.backend_type = 'client backend' OR a.backend_type IS NULL)) AS role_sessions,
       d.datname,
       pg_catalog.quote_ident(d.datname) AS database_ident,
       d.datconnlimit,
       (SELECT count(*)
        FROM pg_catalog.pg_stat_activity a
        WHERE a.datid = d.oid
          AND (a.backend_type = 'client backend' OR (a.backend_type IS NULL AND a.usesysid IS NOT NULL))) AS database_sessions
FROM pg_catalog.pg_roles r
CROSS JOIN pg_catalog.pg_database d
WHERE r.rolname = session_user
  AND d.datname = pg_catalog.current_database()
