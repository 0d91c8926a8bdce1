-- Relations in the migration schemas that the migrating role cannot ALTER or DROP: it neither owns them
-- nor has its owner's privileges. Parameters: 1 = the role (NULL for current_user), 2 = the history
-- table's schema, 3 = the history table's name, 4 = the schemas as text[].
WITH r AS (SELECT coalesce(CAST(? AS text), current_user::text) AS role)
SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)                AS object_name,
       pg_catalog.pg_get_userbyid(c.relowner)::text                    AS owner,
       pg_catalog.format('ALTER %s %I.%I OWNER TO %I',
                         CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                        WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
                         n.nspname, c.relname, r.role)                 AS fix,
       (n.nspname = ? AND c.relname = ?)                               AS is_history,
       (pg_catalog.has_table_privilege(r.role::name, c.oid, 'SELECT')
        AND pg_catalog.has_table_privilege(r.role::name, c.oid, 'INSERT')
        AND pg_catalog.has_table_privilege(r.role::name, c.oid, 'UPDATE')
        AND pg_catalog.has_table_privilege(r.role::name, c.oid, 'DELETE')) AS writable,
       count(*) OVER ()                                                AS total
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN r
WHERE n.nspname = ANY (CAST(? AS text[]))
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND NOT pg_catalog.pg_has_role(r.role::name, c.relowner, 'USAGE')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 4 DESC, 1
LIMIT 20
