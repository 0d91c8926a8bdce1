-- The tenant tables: those named in ?1 (text[], resolved like SQL names, so "My Schema"."Orders" works),
-- or, when none are named, every table with a column named ?2; plus all their partitions and inheritance
-- children, which a query can reach directly and which do not get their parent's policies.
-- Names that do not resolve come back with a NULL oid.
WITH RECURSIVE named AS (
    SELECT t AS requested, pg_catalog.to_regclass(t) AS oid
    FROM pg_catalog.unnest(?::text[]) AS t
),
seed AS (
    SELECT n.oid FROM named n WHERE n.oid IS NOT NULL
    UNION
    SELECT c.oid
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace ns ON ns.oid = c.relnamespace
    JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
    WHERE NOT EXISTS (SELECT 1 FROM named)
      AND c.relkind IN ('r', 'p')
      AND a.attname = ?
      AND a.attnum > 0
      AND NOT a.attisdropped
      AND ns.nspname <> 'information_schema'
      AND ns.nspname NOT LIKE 'pg\_%'
),
tree AS (
    SELECT s.oid FROM seed s
    UNION
    SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN tree t ON i.inhparent = t.oid
)
SELECT c.oid::bigint                                             AS table_oid,
       pg_catalog.format('%I.%I', ns.nspname, c.relname)         AS table_name,
       c.relkind::text                                           AS relkind,
       c.relrowsecurity                                          AS rls_enabled,
       c.relforcerowsecurity                                     AS rls_forced,
       pg_catalog.pg_get_userbyid(c.relowner)                    AS owner,
       pg_catalog.pg_has_role(current_user, c.relowner, 'USAGE') AS current_user_owns,
       (SELECT pg_catalog.format('%I.%I', pns.nspname, p.relname)
          FROM pg_catalog.pg_inherits i
          JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
          JOIN pg_catalog.pg_namespace pns ON pns.oid = p.relnamespace
         WHERE i.inhrelid = c.oid
         LIMIT 1)                                                AS parent,
       NULL::text                                                AS missing
FROM (SELECT DISTINCT oid FROM tree) t
JOIN pg_catalog.pg_class c ON c.oid = t.oid
JOIN pg_catalog.pg_namespace ns ON ns.oid = c.relnamespace
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, n.requested
FROM named n
WHERE n.oid IS NULL
ORDER BY 2
