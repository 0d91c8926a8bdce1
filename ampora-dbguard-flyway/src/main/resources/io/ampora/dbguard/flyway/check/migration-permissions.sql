-- Can the migrating role create objects where migrations run?
-- Parameters: 1 = the role (NULL for current_user), 2 = the schemas as text[].
-- PostgreSQL 15 no longer grants CREATE on schema public to PUBLIC: a fresh 15+ database refuses DDL
-- in public to every role but its owner ("permission denied for schema public").
SELECT s.name                                                        AS schema_name,
       r.role                                                        AS role_name,
       coalesce(ro.rolsuper, false)                                  AS superuser,
       n.oid IS NOT NULL                                             AS schema_exists,
       CASE WHEN n.oid IS NOT NULL
            THEN pg_catalog.pg_get_userbyid(n.nspowner)::text END    AS schema_owner,
       CASE WHEN n.oid IS NOT NULL
            THEN pg_catalog.has_schema_privilege(r.role::name, n.oid, 'USAGE') END  AS can_use,
       CASE WHEN n.oid IS NOT NULL
            THEN pg_catalog.has_schema_privilege(r.role::name, n.oid, 'CREATE') END AS can_create,
       pg_catalog.has_database_privilege(r.role::name, pg_catalog.current_database(), 'CREATE') AS can_create_schema,
       pg_catalog.format('GRANT USAGE, CREATE ON SCHEMA %I TO %I', s.name, r.role)              AS schema_grant,
       pg_catalog.format('GRANT CREATE ON DATABASE %I TO %I', pg_catalog.current_database(), r.role) AS database_grant
FROM (SELECT coalesce(CAST(? AS text), current_user::text) AS role) r
LEFT JOIN pg_catalog.pg_roles ro ON ro.rolname = r.role
CROSS JOIN pg_catalog.unnest(CAST(? AS text[])) WITH ORDINALITY AS s(name, ord)
LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = s.name
ORDER BY s.ord
