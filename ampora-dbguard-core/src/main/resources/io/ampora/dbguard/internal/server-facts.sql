-- One row describing the server and the guard's role, read on every report (cheap: no pg_settings). The
-- start and configuration load times tell the runner whether its kept settings are still the server's.
SELECT pg_catalog.current_setting('server_version_num')::int AS version_num,
       pg_catalog.current_setting('server_version')          AS version,
       pg_catalog.current_database()                         AS database_name,
       current_user                                          AS current_user_name,
       session_user                                          AS session_user_name,
       r.rolsuper                                            AS superuser,
       r.rolbypassrls                                        AS bypass_rls,
       (r.rolsuper OR pg_catalog.pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')) AS read_all_stats,
       (r.rolsuper OR pg_catalog.pg_has_role(current_user, 'pg_monitor', 'USAGE'))        AS monitor,
       pg_catalog.pg_is_in_recovery()                        AS in_recovery,
       pg_catalog.current_setting('default_transaction_read_only') AS default_read_only,
       pg_catalog.pg_postmaster_start_time()                 AS started_at,
       pg_catalog.pg_conf_load_time()                        AS conf_loaded_at,
       ARRAY(SELECT e.extname::text FROM pg_catalog.pg_extension e ORDER BY e.extname)    AS extension_names,
       ARRAY(SELECT e.extversion FROM pg_catalog.pg_extension e ORDER BY e.extname)       AS extension_versions
FROM pg_catalog.pg_roles r
WHERE r.rolname = current_user
