-- The exact mode's function (? = pgstattuple_approx or pgstatindex) of the installed pgstattuple
-- extension, wherever it was installed, and whether this role may execute it. Since pgstattuple 1.5
-- EXECUTE is revoked from PUBLIC and granted to pg_stat_scan_tables (part of pg_monitor).
SELECT pg_catalog.format('%I.%I', n.nspname, p.proname)              AS function_name,
       pg_catalog.format('%I.%I(regclass)', n.nspname, p.proname)    AS signature,
       pg_catalog.has_function_privilege(p.oid, 'EXECUTE')           AS can_execute,
       pg_catalog.quote_ident(current_user)                          AS role
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_depend d ON d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
                           AND d.refobjid = e.oid
                           AND d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                           AND d.deptype = 'e'
JOIN pg_catalog.pg_proc p ON p.oid = d.objid
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE e.extname = 'pgstattuple'
  AND p.proname = ?
  AND p.pronargs = 1
  AND p.proargtypes[0] = 'pg_catalog.regclass'::pg_catalog.regtype
