-- Foreign keys whose columns are not, as a set, the leading key columns of a valid index that is not
-- BRIN and not partial, or partial only on the key columns being NOT NULL.
-- Joins by oid/attnum only (pg_index by indrelid), so it stays fast on schemas with 10,000 foreign keys;
-- column names are looked up only for the listed ones. Partition clones (conparentid <> 0) are left
-- out: the parent's constraint stands for them. Bind parameter: how many to list.
WITH uncovered AS (
    SELECT c.conname,
           c.conrelid,
           c.confrelid,
           c.conkey,
           t.relname,
           t.relkind,
           n.nspname,
           greatest(t.reltuples, 0)::bigint AS estimated_rows
    FROM pg_catalog.pg_constraint c
    JOIN pg_catalog.pg_class t     ON t.oid = c.conrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
    WHERE c.contype = 'f'
      AND c.conparentid = 0
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\_toast%'
      AND NOT EXISTS (
            SELECT 1
            FROM pg_catalog.pg_index i
            JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
            WHERE i.indrelid = c.conrelid
              AND i.indisvalid
              -- BRIN only narrows down block ranges: never an index for the key lookups
              AND ic.relam <> (SELECT a.oid FROM pg_catalog.pg_am a WHERE a.amname = 'brin')
              -- a partial index serves the lookup when its predicate only asks the key columns to be
              -- non-null (the lookup's "col = $1" implies it): every term of the deparsed
              -- ((a IS NOT NULL) AND (b IS NOT NULL)) must name a key column
              AND (i.indpred IS NULL
                   OR NOT EXISTS (
                        SELECT 1
                        FROM pg_catalog.regexp_split_to_table(
                                 pg_catalog.regexp_replace(pg_catalog.pg_get_expr(i.indpred, i.indrelid), '^\((.*)\)$', '\1'),
                                 '\) AND \(') AS term
                        WHERE NOT EXISTS (
                                SELECT 1
                                FROM pg_catalog.unnest(c.conkey) AS k(attnum)
                                JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
                                WHERE pg_catalog.btrim(term, '()') = pg_catalog.quote_ident(a.attname) || ' IS NOT NULL')))
              AND pg_catalog.cardinality(c.conkey) <= i.indnkeyatts
              -- int2vector subscripts start at 0
              AND (i.indkey::int2[])[0:pg_catalog.cardinality(c.conkey) - 1] @> c.conkey
              AND (i.indkey::int2[])[0:pg_catalog.cardinality(c.conkey) - 1] <@ c.conkey)
), listed AS (
    SELECT u.*, count(*) OVER () AS total
    FROM uncovered u
    ORDER BY u.estimated_rows DESC, u.nspname, u.relname, u.conname
    LIMIT ?
)
SELECT format('%I.%I', l.nspname, l.relname)                      AS table_name,
       l.conname                                                  AS constraint_name,
       format('%I.%I', rn.nspname, r.relname)                     AS referenced_table,
       (SELECT string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.ord)
          FROM pg_catalog.unnest(l.conkey) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_catalog.pg_attribute a ON a.attrelid = l.conrelid AND a.attnum = k.attnum) AS columns,
       l.relkind = 'p'                                            AS partitioned,
       l.estimated_rows,
       l.total
FROM listed l
JOIN pg_catalog.pg_class r      ON r.oid = l.confrelid
JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
ORDER BY l.estimated_rows DESC, l.nspname, l.relname, l.conname
