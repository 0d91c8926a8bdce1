-- What the migrating session has done so far to the tables that existed before its migration, read on
-- that session itself (inside its transaction, before it commits): the relation locks its transaction
-- holds on each table (locks on its indexes left out: a new index is ACCESS EXCLUSIVE to its creator),
-- the rows its transaction read by sequential scan, and the
-- catalog facts a statement can change (relfilenode, indexes, constraints, NOT NULL), plus its lock_timeout.
-- Parameter 1: the oids of the tables that existed before the migration, as bigint[].
WITH tracked AS (
    SELECT pg_catalog.unnest(CAST(? AS bigint[]))::oid AS relid
)
SELECT 'lock' AS kind, l.relation::bigint AS oid, l.relation::bigint AS rel,
       l.mode AS detail, NULL::text AS def, 0::bigint AS n, true AS flag
FROM pg_catalog.pg_locks l
WHERE l.pid = pg_catalog.pg_backend_pid()
  AND l.locktype = 'relation'
  AND l.granted
  AND l.relation IN (SELECT relid FROM tracked)
UNION ALL
SELECT 'scan', s.relid::bigint, s.relid::bigint, NULL, NULL, s.seq_tup_read, true
FROM pg_catalog.pg_stat_xact_all_tables s
WHERE s.relid IN (SELECT relid FROM tracked)
UNION ALL
SELECT 'filenode', c.oid::bigint, c.oid::bigint, c.relkind::text, NULL, c.relfilenode::bigint, true
FROM pg_catalog.pg_class c
WHERE c.oid IN (SELECT relid FROM tracked)
UNION ALL
SELECT 'index', i.indexrelid::bigint, i.indrelid::bigint,
       pg_catalog.format('%I.%I', n.nspname, ic.relname), NULL, ic.relfilenode::bigint, i.indisvalid
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
WHERE i.indrelid IN (SELECT relid FROM tracked)
UNION ALL
SELECT 'constraint', con.oid::bigint, con.conrelid::bigint, con.contype::text || ' ' || pg_catalog.quote_ident(con.conname),
       pg_catalog.pg_get_constraintdef(con.oid), con.conindid::bigint, con.convalidated
FROM pg_catalog.pg_constraint con
WHERE con.conrelid IN (SELECT relid FROM tracked)
  AND con.contype IN ('c', 'f', 'p', 'u', 'x')
UNION ALL
SELECT 'notnull', a.attnum::bigint, a.attrelid::bigint, pg_catalog.quote_ident(a.attname), NULL, 0, a.attnotnull
FROM pg_catalog.pg_attribute a
WHERE a.attrelid IN (SELECT relid FROM tracked)
  AND a.attnum > 0
  AND NOT a.attisdropped
UNION ALL
SELECT 'setting', 0, 0, pg_catalog.current_setting('lock_timeout'), NULL, 0, true
