-- Estimated rows of every user table, from the planner's statistics (pg_class.reltuples): no lock, no
-- scan, instant on any size. reltuples < 0 (PostgreSQL 14+: never vacuumed or analyzed) is left out as
-- unknown rather than guessed. Partitions are counted in their partitioned parent.
SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS name,
       CASE WHEN c.relkind = 'p' THEN
                (SELECT COALESCE(SUM(GREATEST(p.reltuples, 0)), 0)
                 FROM pg_catalog.pg_inherits i
                 JOIN pg_catalog.pg_class p ON p.oid = i.inhrelid
                 WHERE i.inhparent = c.oid)
            ELSE c.reltuples END::bigint AS row_estimate
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm')
  AND NOT c.relispartition
  AND n.nspname <> 'information_schema'
  AND n.nspname NOT LIKE 'pg\_%'
  AND (c.relkind = 'p' OR c.reltuples >= 0)
ORDER BY 1
