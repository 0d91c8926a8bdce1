-- A report of per-instance checks only, while the kept facts are current: functions and settings, and no catalog
-- table a new backend has not read yet (it pays cold caches for those). Columns as in server-facts, is_superuser from
-- the setting; new_session_settings reads pg_db_role_setting, pg_database and pg_authid, which every backend reads
-- at its start (authentication and ALTER ROLE/DATABASE ... SET), so even a new backend finds them cached.
SELECT pg_catalog.current_setting('server_version_num')::int AS version_num,
       pg_catalog.current_setting('server_version')          AS version,
       pg_catalog.current_database()                         AS database_name,
       current_user                                          AS current_user_name,
       session_user                                          AS session_user_name,
       pg_catalog.current_setting('is_superuser')::boolean   AS is_superuser,
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
       pg_catalog.pg_conf_load_time()                        AS conf_loaded_at
