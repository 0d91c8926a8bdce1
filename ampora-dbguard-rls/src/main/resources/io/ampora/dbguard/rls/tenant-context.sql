-- What this session would see under RLS: runbook 9's "SHOW ROLE" and "current_setting('app.tenant_id')".
-- ?1 is the tenant setting; missing_ok keeps an unknown setting NULL instead of an error.
SELECT current_user                                  AS current_user_name,
       session_user                                  AS session_user_name,
       pg_catalog.current_setting('role')            AS role,
       pg_catalog.current_setting(?, true)           AS tenant,
       r.rolsuper                                    AS superuser,
       r.rolbypassrls                                AS bypass_rls
FROM pg_catalog.pg_roles r
WHERE r.rolname = current_user
