-- Tables and views a migration step may drop, rename or rewrite, by oid (a rename keeps the oid, a
-- rewrite changes relfilenode). Parameters: 1, 2 = schemas as text[] (NULL for every user schema),
-- 3 = the history table's name to leave out.
SELECT c.oid::bigint                                       AS oid,
       pg_catalog.format('%I.%I', n.nspname, c.relname)    AS name,
       c.relkind::text                                     AS kind,
       c.relfilenode::bigint                               AS filenode
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm')
  AND c.relname <> ?
  AND ((CAST(? AS text[]) IS NULL AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%')
       OR n.nspname = ANY (CAST(? AS text[])))
