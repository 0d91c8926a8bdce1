-- One row describing the server and the guard's role, read on every report (cheap: no pg_settings). The
-- start and configuration load times tell the runner whether its kept settings are still the server's.
-- new_session_settings: what ALTER ROLE/DATABASE ... SET give a new session of this login role in this database
-- (name=value, the most specific wins: role in database, role, database, all roles); they reach new sessions without
-- a reload, so this session may not have them yet. Built-in settings only: a custom one (a dot in its name) may hold
-- a secret (PostgREST's app.jwt_secret is set with ALTER DATABASE), and the facts are a record anyone may print.
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
       ARRAY(SELECT DISTINCT ON (pg_catalog.split_part(c.cfg, '=', 1)) c.cfg
             FROM pg_catalog.pg_db_role_setting s, pg_catalog.unnest(s.setconfig) AS c(cfg)
             WHERE pg_catalog.strpos(pg_catalog.split_part(c.cfg, '=', 1), '.') = 0
               AND s.setdatabase IN (0, (SELECT d.oid FROM pg_catalog.pg_database d
                                         WHERE d.datname = pg_catalog.current_database()))
               AND s.setrole IN (0, (SELECT a.oid FROM pg_catalog.pg_roles a WHERE a.rolname = session_user))
             ORDER BY pg_catalog.split_part(c.cfg, '=', 1), s.setrole <> 0 DESC, s.setdatabase <> 0 DESC)
                                                             AS new_session_settings,
       pg_catalog.pg_postmaster_start_time()                 AS started_at,
       pg_catalog.pg_conf_load_time()                        AS conf_loaded_at,
       ARRAY(SELECT e.extname::text FROM pg_catalog.pg_extension e ORDER BY e.extname)    AS extension_names,
       ARRAY(SELECT e.extversion FROM pg_catalog.pg_extension e ORDER BY e.extname)       AS extension_versions
FROM pg_catalog.pg_roles r
WHERE r.rolname = current_user
