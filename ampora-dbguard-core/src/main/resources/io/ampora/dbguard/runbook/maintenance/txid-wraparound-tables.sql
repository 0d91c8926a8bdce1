-- The tables of the current database with the oldest unfrozen transaction IDs: the ones to
-- VACUUM (FREEZE) first. Plain catalog reads, no lock taken.
SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS table_name,
       pg_catalog.age(c.relfrozenxid)                    AS xid_age
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'm', 't')
  AND c.relfrozenxid <> '0'::xid
ORDER BY pg_catalog.age(c.relfrozenxid) DESC
LIMIT 5
