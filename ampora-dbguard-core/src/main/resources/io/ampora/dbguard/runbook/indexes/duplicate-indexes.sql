-- Indexes another index on the same table makes redundant:
--   identical: same access method, key and INCLUDE columns, expressions, opclasses, collations, sort
--     options and predicate; the one kept is the one backing a constraint, else the unique one, else the
--     older (lower oid);
--   prefix: a non-unique btree whose key columns (no expressions, no INCLUDE) lead another btree's key
--     columns with the same opclasses, collations, sort options and predicate.
-- An index backing a constraint (pg_constraint.conindid: primary key, unique, exclusion, and the unique
-- index a foreign key references) or the replica identity is never the one to drop. Indexes of
-- partitions attached to a partitioned index are left out: the partitioned index stands for them.
-- Pairs are joined by indrelid (hash), expressions deparsed only for candidate pairs.
WITH backing AS MATERIALIZED (
    -- pg_constraint has no index on conindid: one hashed set instead of a scan per index
    SELECT DISTINCT k.conindid FROM pg_catalog.pg_constraint k WHERE k.conindid <> 0
), ix AS (
    SELECT i.indexrelid,
           i.indrelid,
           ic.relam,
           ic.relkind,
           i.indisunique,
           i.indnkeyatts,
           i.indnatts,
           i.indkey::int2[]        AS keys,
           i.indclass::oid[]       AS opclasses,
           i.indcollation::oid[]   AS collations,
           i.indoption::int2[]     AS options,
           i.indexprs IS NOT NULL  AS has_exprs,
           i.indpred IS NOT NULL   AS has_pred,
           i.indisreplident OR b.conindid IS NOT NULL AS backs_constraint,
           ic.relpages::bigint * pg_catalog.current_setting('block_size')::bigint AS size_bytes
    FROM pg_catalog.pg_index i
    JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
    LEFT JOIN backing b ON b.conindid = i.indexrelid
    WHERE i.indisvalid
      AND NOT ic.relispartition
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname !~ '^pg_toast'
      AND NOT pg_catalog.pg_is_other_temp_schema(n.oid)
), pairs AS (
    SELECT d.indexrelid AS drop_oid,
           k.indexrelid AS keep_oid,
           d.indrelid,
           d.relkind,
           d.size_bytes,
           CASE WHEN d.keys = k.keys AND d.indnkeyatts = k.indnkeyatts THEN 'identical' ELSE 'prefix' END AS reason,
           d.has_exprs OR k.has_exprs AS check_exprs,
           d.has_pred AS check_pred,
           -- rank of the kept index among several: constraint, then unique, then oldest
           (k.backs_constraint, k.indisunique, -k.indexrelid::bigint) AS keep_rank
    FROM ix d
    JOIN ix k ON k.indrelid = d.indrelid AND k.indexrelid <> d.indexrelid AND k.relam = d.relam
    WHERE NOT d.backs_constraint
      AND d.has_pred = k.has_pred
      AND (
            -- identical, and the kept one ranks higher (or is unique where the dropped one is not)
            (d.keys = k.keys AND d.indnkeyatts = k.indnkeyatts AND d.opclasses = k.opclasses
             AND d.collations = k.collations AND d.options = k.options AND d.has_exprs = k.has_exprs
             AND (NOT d.indisunique OR k.indisunique)
             AND (k.backs_constraint OR (k.indisunique AND NOT d.indisunique) OR k.indexrelid < d.indexrelid))
         OR
            -- d's keys lead k's keys
            (NOT d.indisunique AND NOT d.has_exprs AND NOT k.has_exprs
             AND d.indnatts = d.indnkeyatts
             AND d.indnkeyatts < k.indnkeyatts
             AND d.relam = (SELECT a.oid FROM pg_catalog.pg_am a WHERE a.amname = 'btree')
             AND d.keys[0:d.indnkeyatts - 1] = k.keys[0:d.indnkeyatts - 1]
             AND d.opclasses[0:d.indnkeyatts - 1] = k.opclasses[0:d.indnkeyatts - 1]
             AND d.collations[0:d.indnkeyatts - 1] = k.collations[0:d.indnkeyatts - 1]
             AND d.options[0:d.indnkeyatts - 1] = k.options[0:d.indnkeyatts - 1])
      )
), checked AS (
    SELECT p.*
    FROM pairs p
    JOIN pg_catalog.pg_index di ON di.indexrelid = p.drop_oid
    JOIN pg_catalog.pg_index ki ON ki.indexrelid = p.keep_oid
    WHERE (NOT p.check_exprs
           OR pg_catalog.pg_get_expr(di.indexprs, di.indrelid) = pg_catalog.pg_get_expr(ki.indexprs, ki.indrelid))
      AND (NOT p.check_pred
           OR pg_catalog.pg_get_expr(di.indpred, di.indrelid) = pg_catalog.pg_get_expr(ki.indpred, ki.indrelid))
), best AS (
    -- each redundant index once, with the best index to keep (identical before prefix)
    SELECT DISTINCT ON (c.drop_oid) c.*
    FROM checked c
    ORDER BY c.drop_oid, c.reason DESC, c.keep_rank DESC
)
SELECT pg_catalog.format('%I.%I', dn.nspname, dc.relname)  AS index_name,
       pg_catalog.format('%I.%I', kn.nspname, kc.relname)  AS keep_name,
       pg_catalog.format('%I.%I', tn.nspname, t.relname)   AS table_name,
       b.reason,
       b.relkind = 'I'                                     AS partitioned,
       b.size_bytes,
       (SELECT string_agg(CASE WHEN k.attnum = 0 THEN 'expression' ELSE pg_catalog.quote_ident(a.attname) END, ', ' ORDER BY k.ord)
          FROM pg_catalog.unnest(di.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
          LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = b.indrelid AND a.attnum = k.attnum) AS columns,
       (SELECT string_agg(CASE WHEN k.attnum = 0 THEN 'expression' ELSE pg_catalog.quote_ident(a.attname) END, ', ' ORDER BY k.ord)
          FROM pg_catalog.unnest(ki.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
          LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = b.indrelid AND a.attnum = k.attnum) AS keep_columns
FROM best b
JOIN pg_catalog.pg_index di     ON di.indexrelid = b.drop_oid
JOIN pg_catalog.pg_index ki     ON ki.indexrelid = b.keep_oid
JOIN pg_catalog.pg_class dc     ON dc.oid = b.drop_oid
JOIN pg_catalog.pg_namespace dn ON dn.oid = dc.relnamespace
JOIN pg_catalog.pg_class kc     ON kc.oid = b.keep_oid
JOIN pg_catalog.pg_namespace kn ON kn.oid = kc.relnamespace
JOIN pg_catalog.pg_class t      ON t.oid = b.indrelid
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
ORDER BY b.size_bytes DESC, index_name
