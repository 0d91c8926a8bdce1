-- Columns by (table oid, attnum): a rename or type change keeps attnum; names come quoted.
-- Parameters as tracked-tables.
SELECT c.oid::bigint                                         AS table_oid,
       a.attnum                                              AS attnum,
       pg_catalog.quote_ident(a.attname)                     AS name,
       pg_catalog.format_type(a.atttypid, a.atttypmod)       AS type,
       a.attnotnull                                          AS not_null,
       (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '') AS has_default,
       a.attidentity <> ''                                   AS identity,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid)            AS default_expr
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relkind IN ('r', 'p', 'v', 'm')
  AND c.relname <> ?
  AND ((CAST(? AS text[]) IS NULL AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%')
       OR n.nspname = ANY (CAST(? AS text[])))
