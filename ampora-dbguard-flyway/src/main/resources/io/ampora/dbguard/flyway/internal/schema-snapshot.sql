-- Every object of the schema a migration set builds, one row per (object, attribute).
-- Parameters: 1, 2 = schemas as text[] (NULL for every user schema), 3 = the history table's name to leave out.
-- Objects that belong to an extension are left out: CREATE EXTENSION owns them, not the migrations.
WITH ns AS (
    SELECT n.oid, n.nspname
    FROM pg_catalog.pg_namespace n
    WHERE (CAST(? AS text[]) IS NULL
           AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%')
       OR n.nspname = ANY (CAST(? AS text[]))
),
rel AS (
    SELECT c.oid, c.relname, c.relkind, ns.nspname, c.relrowsecurity, c.relforcerowsecurity,
           pg_catalog.format('%I.%I', ns.nspname, c.relname) AS qname
    FROM pg_catalog.pg_class c
    JOIN ns ON ns.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
      AND c.relname <> ?
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                      WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
),
tab AS (SELECT * FROM rel WHERE relkind <> 'S'),
rows AS (
    SELECT CASE relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'view' ELSE 'table' END AS kind, qname AS name,
           'kind' AS key,
           CASE relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
                        WHEN 'm' THEN 'materialized view' ELSE 'foreign table' END AS value
    FROM tab
    UNION ALL
    SELECT 'table', qname, 'rowSecurity', relrowsecurity::text FROM tab WHERE relkind IN ('r', 'p')
    UNION ALL
    SELECT 'table', qname, 'forceRowSecurity', relforcerowsecurity::text FROM tab WHERE relkind IN ('r', 'p')
    UNION ALL
    SELECT 'view', qname, 'definition', pg_catalog.pg_get_viewdef(oid, true) FROM tab WHERE relkind IN ('v', 'm')
    UNION ALL
    SELECT 'column', t.qname || '.' || pg_catalog.quote_ident(a.attname), x.key, x.value
    FROM tab t
    JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    CROSS JOIN LATERAL (VALUES
        ('type', pg_catalog.format_type(a.atttypid, a.atttypmod)),
        ('notNull', a.attnotnull::text),
        ('default', CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END),
        ('generated', CASE WHEN a.attgenerated <> '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END),
        ('identity', CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END)
    ) AS x(key, value)
    UNION ALL
    SELECT 'constraint', t.qname || '.' || pg_catalog.quote_ident(con.conname), x.key, x.value
    FROM tab t
    JOIN pg_catalog.pg_constraint con ON con.conrelid = t.oid
                                      AND con.contype <> 'n'  -- NOT NULL rows from 18 on: notNull says it on every version
    CROSS JOIN LATERAL (VALUES
        ('definition', pg_catalog.pg_get_constraintdef(con.oid, true)),
        ('validated', con.convalidated::text)
    ) AS x(key, value)
    UNION ALL
    SELECT 'index', pg_catalog.format('%I.%I', t.nspname, ic.relname), x.key, x.value
    FROM tab t
    JOIN pg_catalog.pg_index i ON i.indrelid = t.oid
    JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
    CROSS JOIN LATERAL (VALUES
        ('definition', pg_catalog.pg_get_indexdef(i.indexrelid)),
        ('valid', i.indisvalid::text)
    ) AS x(key, value)
    UNION ALL
    SELECT 'policy', t.qname || '.' || pg_catalog.quote_ident(p.polname), x.key, x.value
    FROM tab t
    JOIN pg_catalog.pg_policy p ON p.polrelid = t.oid
    CROSS JOIN LATERAL (VALUES
        ('command', CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                                  WHEN 'd' THEN 'DELETE' ELSE 'ALL' END),
        ('permissive', p.polpermissive::text),
        ('roles', (SELECT pg_catalog.string_agg(CASE WHEN r = 0 THEN 'public' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r)::text) END, ', '
                                                ORDER BY CASE WHEN r = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(r)::text END)
                   FROM pg_catalog.unnest(p.polroles) AS r)),
        ('using', pg_catalog.pg_get_expr(p.polqual, p.polrelid)),
        ('withCheck', pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid))
    ) AS x(key, value)
    UNION ALL
    SELECT 'trigger', t.qname || '.' || pg_catalog.quote_ident(tg.tgname), 'definition', pg_catalog.pg_get_triggerdef(tg.oid)
    FROM tab t
    JOIN pg_catalog.pg_trigger tg ON tg.tgrelid = t.oid AND NOT tg.tgisinternal
    UNION ALL
    SELECT 'sequence', r.qname, x.key, x.value
    FROM rel r
    JOIN pg_catalog.pg_sequence s ON s.seqrelid = r.oid
    CROSS JOIN LATERAL (VALUES
        ('type', pg_catalog.format_type(s.seqtypid, NULL)),
        ('start', s.seqstart::text),
        ('increment', s.seqincrement::text),
        ('min', s.seqmin::text),
        ('max', s.seqmax::text),
        ('cycle', s.seqcycle::text)
    ) AS x(key, value)
    WHERE r.relkind = 'S'
    UNION ALL
    SELECT 'function',
           pg_catalog.format('%I.%I(%s)', ns.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)),
           x.key, x.value
    FROM pg_catalog.pg_proc p
    JOIN ns ON ns.oid = p.pronamespace
    JOIN pg_catalog.pg_language l ON l.oid = p.prolang
    CROSS JOIN LATERAL (VALUES
        ('kind', CASE p.prokind WHEN 'f' THEN 'function' WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'window' END),
        ('returns', pg_catalog.pg_get_function_result(p.oid)),
        ('language', l.lanname::text),
        ('volatility', CASE p.provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END),
        ('securityDefiner', p.prosecdef::text),
        ('bodyMd5', pg_catalog.md5(p.prosrc))
    ) AS x(key, value)
    WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                      WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
    UNION ALL
    SELECT 'type', pg_catalog.format('%I.%I', ns.nspname, ty.typname), 'labels',
           (SELECT pg_catalog.string_agg(e.enumlabel::text, ', ' ORDER BY e.enumsortorder)
            FROM pg_catalog.pg_enum e WHERE e.enumtypid = ty.oid)
    FROM pg_catalog.pg_type ty
    JOIN ns ON ns.oid = ty.typnamespace
    WHERE ty.typtype = 'e'
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                      WHERE d.classid = 'pg_catalog.pg_type'::regclass AND d.objid = ty.oid AND d.deptype = 'e')
)
SELECT kind, name, key, value
FROM rows
WHERE value IS NOT NULL
