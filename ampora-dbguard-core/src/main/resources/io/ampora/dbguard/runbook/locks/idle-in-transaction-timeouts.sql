-- The timeouts that end forgotten transactions and sessions, as new sessions of this role in this
-- database get them (reset_val: the check's own session overrides some locally). Only the settings
-- this server has: idle_session_timeout exists from 14, transaction_timeout from 17.
SELECT s.name,
       s.reset_val,
       s.unit,
       pg_catalog.quote_ident(pg_catalog.current_database()) AS database_ident,
       pg_catalog.quote_ident(current_user::text)             AS role_ident
FROM pg_catalog.pg_settings s
WHERE s.name IN ('idle_in_transaction_session_timeout', 'idle_session_timeout', 'transaction_timeout')
ORDER BY s.name
