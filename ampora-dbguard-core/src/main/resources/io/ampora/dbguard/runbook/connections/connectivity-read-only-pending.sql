-- Where the default_transaction_read_only that new sessions of the login role in this database get comes from
-- (pg_db_role_setting, the most specific level first, named as pg_settings.source would name it), and where this
-- session's own value comes from: a value the client asks for when it connects (options=-c ...) beats the catalog's
-- in new sessions too. With the database and role to reset it on, quoted.
SELECT CASE WHEN s.setrole <> 0 AND s.setdatabase <> 0 THEN 'database user'
            WHEN s.setrole <> 0 THEN 'user'
            WHEN s.setdatabase <> 0 THEN 'database'
            ELSE 'global' END                                   AS level,
       pg_catalog.substr(c.cfg, pg_catalog.strpos(c.cfg, '=') + 1) AS value,
       (SELECT p.source FROM pg_catalog.pg_settings p
        WHERE p.name = 'default_transaction_read_only')        AS session_source,
       pg_catalog.quote_ident(pg_catalog.current_database())   AS database_ident,
       pg_catalog.quote_ident(session_user)                    AS role_ident
FROM pg_catalog.pg_db_role_setting s, pg_catalog.unnest(s.setconfig) AS c(cfg)
WHERE pg_catalog.split_part(c.cfg, '=', 1) = 'default_transaction_read_only'
  AND s.setdatabase IN (0, (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()))
  AND s.setrole IN (0, (SELECT a.oid FROM pg_catalog.pg_roles a WHERE a.rolname = session_user))
ORDER BY s.setrole <> 0 DESC, s.setdatabase <> 0 DESC
LIMIT 1
