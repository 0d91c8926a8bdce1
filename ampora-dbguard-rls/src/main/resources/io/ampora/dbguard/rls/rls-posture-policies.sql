-- The policies on the tenant tables (?1: their oids as bigint[]), with their expressions as text.
SELECT pol.polrelid::bigint                                          AS table_oid,
       pol.polname                                                   AS policy,
       CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                       WHEN 'd' THEN 'DELETE' ELSE 'ALL' END          AS command,
       pol.polpermissive                                             AS permissive,
       pg_catalog.pg_get_expr(pol.polqual, pol.polrelid)             AS using_expr,
       pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid)        AS check_expr
FROM pg_catalog.pg_policy pol
WHERE pol.polrelid::bigint = ANY (?::bigint[])
ORDER BY 1, 2
