-- Foreign keys and whether an index serves them: the FK columns must equal, as a set, the first n key
-- columns of a valid, non-partial index (INCLUDE columns do not count). Partition clones are skipped.
-- Parameters as tracked-tables.
SELECT con.oid::bigint                                               AS oid,
       pg_catalog.quote_ident(con.conname)                           AS name,
       con.conrelid::bigint                                          AS table_oid,
       pg_catalog.format('%I.%I', n.nspname, c.relname)              AS table_name,
       (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.ord)
        FROM pg_catalog.unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS columns,
       con.convalidated                                              AS validated,
       EXISTS (
           SELECT 1
           FROM pg_catalog.pg_index i
           WHERE i.indrelid = con.conrelid
             AND i.indisvalid
             AND i.indpred IS NULL
             AND i.indnkeyatts >= pg_catalog.cardinality(con.conkey)
             AND (SELECT pg_catalog.array_agg(x ORDER BY x)
                  FROM pg_catalog.unnest((pg_catalog.string_to_array(i.indkey::text, ' ')::int2[])
                                         [1:pg_catalog.cardinality(con.conkey)]) AS x)
               = (SELECT pg_catalog.array_agg(x ORDER BY x) FROM pg_catalog.unnest(con.conkey) AS x)
       )                                                             AS indexed
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE con.contype = 'f'
  AND con.conparentid = 0
  AND c.relname <> ?
  AND ((CAST(? AS text[]) IS NULL AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%')
       OR n.nspname = ANY (CAST(? AS text[])))
