-- Tables with neither a primary key nor a usable unique index: valid, immediate (not deferrable),
-- non-partial, without expressions, on NOT NULL columns (what REPLICA IDENTITY USING INDEX accepts).
-- Partitions are left out (their partitioned table is reported once), and so are tables an extension owns.
-- Bind parameter: how many to list.
WITH no_pk AS MATERIALIZED (
    -- tables without a primary key: one pass over pg_class against the hashed oids of the tables that have
    -- one (pg_constraint's primary keys: half the rows pg_index's indisprimary gives, TOAST indexes count there)
    SELECT t.oid, t.relnamespace
    FROM pg_catalog.pg_class t
    WHERE t.relkind IN ('r', 'p')
      AND t.oid NOT IN (SELECT c.conrelid FROM pg_catalog.pg_constraint c WHERE c.contype = 'p')
), keyless AS MATERIALIZED (
    SELECT t.oid,
           n.nspname,
           t.relname,
           t.relkind,
           t.relreplident,
           greatest(t.reltuples, 0)::bigint AS estimated_rows
    FROM no_pk k
    JOIN pg_catalog.pg_class t ON t.oid = k.oid
    JOIN pg_catalog.pg_namespace n ON n.oid = k.relnamespace
    -- partitions here, not in the pass over every relation: relispartition lies further in pg_class's rows
    WHERE NOT t.relispartition
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname !~ '^pg_toast'
      AND NOT pg_catalog.pg_is_other_temp_schema(n.oid)
      -- the unique-index rule only for the few tables without a primary key
      AND NOT EXISTS (SELECT 1
                      FROM pg_catalog.pg_index i
                      WHERE i.indrelid = t.oid
                        AND i.indisunique AND i.indisvalid AND i.indimmediate
                        AND i.indpred IS NULL AND i.indexprs IS NULL
                        AND NOT EXISTS (SELECT 1
                                        FROM pg_catalog.pg_attribute a
                                        WHERE a.attrelid = t.oid
                                          AND a.attnum = ANY ((i.indkey::int2[])[0:i.indnkeyatts - 1])
                                          AND NOT a.attnotnull))
), listed AS (
    SELECT k.*, count(*) OVER () AS total
    FROM keyless k
    -- tables an extension owns are its business (only the few keyless tables are looked up)
    WHERE NOT EXISTS (SELECT 1
                      FROM pg_catalog.pg_depend d
                      WHERE d.classid = 'pg_catalog.pg_class'::regclass
                        AND d.objid = k.oid
                        AND d.deptype = 'e')
    ORDER BY k.estimated_rows DESC, k.nspname, k.relname
    LIMIT ?
)
SELECT pg_catalog.format('%I.%I', l.nspname, l.relname) AS table_name,
       l.relkind = 'p'                                   AS partitioned,
       l.estimated_rows,
       l.relreplident = 'f'                              AS replica_identity_full,
       -- a unique index that would do once its columns are NOT NULL
       -- (format's %I refuses NULL: no such index)
       CASE WHEN u.relname IS NOT NULL THEN pg_catalog.format('%I.%I', l.nspname, u.relname) END AS unique_index,
       pg_catalog.quote_ident(u.relname)                 AS unique_index_name,
       (SELECT string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum)
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = l.oid AND a.attnum = ANY (u.indkey::int2[]) AND NOT a.attnotnull) AS nullable_columns,
       EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                WHERE a.attrelid = l.oid AND a.attname = 'id' AND NOT a.attisdropped) AS has_id_column,
       l.total
FROM listed l
LEFT JOIN LATERAL (
    SELECT ic.relname, i.indkey
    FROM pg_catalog.pg_index i
    JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
    WHERE i.indrelid = l.oid AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
    ORDER BY i.indnkeyatts, ic.relname
    LIMIT 1
) u ON true
ORDER BY l.estimated_rows DESC, l.nspname, l.relname
