-- This session's idle_session_timeout in milliseconds (no row before PostgreSQL 14), where it is set (database,
-- user, configuration file, ...), and the login role to end it for, quoted.
SELECT s.setting::bigint                     AS timeout_ms,
       s.source,
       pg_catalog.quote_ident(session_user)  AS role_ident
FROM pg_catalog.pg_settings s
WHERE s.name = 'idle_session_timeout'
