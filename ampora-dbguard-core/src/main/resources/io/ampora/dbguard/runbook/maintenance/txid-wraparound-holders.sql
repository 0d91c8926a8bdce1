-- What holds vacuum's xmin horizon back server-wide besides open sessions (those are long-transactions'):
-- prepared transactions (no session, they survive restarts) and replication slots with an xmin or
-- catalog_xmin (a hot_standby_feedback standby or a logical slot whose consumer stopped).
-- pg_prepared_xacts and pg_replication_slots are readable by every role.
SELECT h.kind, h.name, h.database, h.xid_age, h.fix
FROM (
    SELECT 'prepared transaction'                                    AS kind,
           pg_catalog.quote_literal(p.gid)                           AS name,
           p.database::text                                          AS database,
           pg_catalog.age(p.transaction)::bigint                     AS xid_age,
           'ROLLBACK PREPARED ' || pg_catalog.quote_literal(p.gid)   AS fix
    FROM pg_catalog.pg_prepared_xacts p
    UNION ALL
    SELECT 'replication slot',
           pg_catalog.quote_literal(s.slot_name::text),
           s.database::text,
           greatest(pg_catalog.age(s.xmin), pg_catalog.age(s.catalog_xmin))::bigint,
           'SELECT pg_catalog.pg_drop_replication_slot(' || pg_catalog.quote_literal(s.slot_name::text) || ')'
    FROM pg_catalog.pg_replication_slots s
    WHERE s.xmin IS NOT NULL OR s.catalog_xmin IS NOT NULL
) h
ORDER BY h.xid_age DESC, h.name
LIMIT 10
