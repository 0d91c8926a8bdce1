-- Client sessions by application_name (the check's own session excluded), to weigh this pool's fleet
-- against the other applications on the server.
SELECT coalesce(a.application_name, '') AS application_name,
       count(*)                         AS sessions
FROM pg_catalog.pg_stat_activity a
WHERE (a.backend_type = 'client backend' OR (a.backend_type IS NULL AND a.usesysid IS NOT NULL))
  AND a.pid <> pg_catalog.pg_backend_pid()
GROUP BY 1
ORDER BY 2 DESC
