-- Where this session's default_transaction_read_only comes from (pg_settings.source: database, user, database user,
-- configuration file, client, session, ...), with the database and role to reset it on, quoted.
SELECT s.setting,
       s.source,
       pg_catalog.quote_ident(pg_catalog.current_database()) AS database_ident,
       pg_catalog.quote_ident(session_user)                  AS role_ident
FROM pg_catalog.pg_settings s
WHERE s.name = 'default_transaction_read_only'
