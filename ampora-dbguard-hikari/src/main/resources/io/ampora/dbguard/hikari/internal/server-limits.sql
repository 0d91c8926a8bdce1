-- Usable client connection slots and who uses them; reserved_connections exists from PostgreSQL 16.
SELECT current_setting('max_connections')::int                                 AS max_connections,
       current_setting('superuser_reserved_connections')::int                  AS superuser_reserved,
       coalesce(nullif(current_setting('reserved_connections', true), ''), '0')::int AS reserved,
       (SELECT count(*)
        FROM pg_catalog.pg_stat_activity a
        WHERE a.backend_type = 'client backend'
           OR (a.backend_type IS NULL AND a.usesysid IS NOT NULL))              AS client_sessions
