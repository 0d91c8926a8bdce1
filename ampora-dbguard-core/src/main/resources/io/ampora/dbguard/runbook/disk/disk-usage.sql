-- The largest relations of the current database: table + indexes + TOAST (pg_total_relation_size),
-- a partitioned table counted as the sum of its leaf partitions (partitions are not listed alone).
-- System catalogs are left out (nothing to prune there) except pg_largeobject, which holds user data.
-- Bind parameter: how many to return.
WITH tables AS (
    SELECT c.oid,
           c.relkind,
           c.relname::text                        AS simple_name,
           format('%I.%I', n.nspname, c.relname)  AS relation_name
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'm')
      AND NOT c.relispartition
      AND (n.nspname NOT IN ('pg_catalog', 'information_schema') OR c.relname = 'pg_largeobject')
)
SELECT t.relation_name,
       t.simple_name,
       t.relkind = 'p' AS partitioned,
       CASE WHEN t.relkind = 'p'
            THEN (SELECT count(*) FROM pg_catalog.pg_partition_tree(t.oid) pt WHERE pt.isleaf)
            ELSE 0 END  AS partitions,
       CASE WHEN t.relkind = 'p'
            THEN (SELECT coalesce(sum(pg_catalog.pg_total_relation_size(pt.relid)), 0)
                    FROM pg_catalog.pg_partition_tree(t.oid) pt WHERE pt.isleaf)
            ELSE pg_catalog.pg_total_relation_size(t.oid) END::bigint AS total_bytes
FROM tables t
ORDER BY total_bytes DESC, t.relation_name
LIMIT ?
