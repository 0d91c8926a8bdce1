-- A report of per-instance checks only, while the kept facts are current: functions and settings, no
-- catalog table (a new backend pays cold caches for those). Columns as in server-facts, is_superuser from the setting.
SELECT pg_catalog.current_setting('server_version_num')::int AS version_num,
       pg_catalog.current_setting('server_version')          AS version,
       pg_catalog.current_database()                         AS database_name,
       current_user                                          AS current_user_name,
       session_user                                          AS session_user_name,
       pg_catalog.current_setting('is_superuser')::boolean   AS is_superuser,
       pg_catalog.pg_is_in_recovery()                        AS in_recovery,
       pg_catalog.current_setting('default_transaction_read_only') AS default_read_only,
       pg_catalog.pg_postmaster_start_time()                 AS started_at,
       pg_catalog.pg_conf_load_time()                        AS conf_loaded_at
