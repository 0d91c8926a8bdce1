-- reset_val, not setting: the guard's own session has already set statement_timeout, lock_timeout,
-- idle_in_transaction_session_timeout and application_name locally; checks want the server's values.
SELECT s.name, coalesce(s.reset_val, s.setting) AS setting
FROM pg_catalog.pg_settings s
