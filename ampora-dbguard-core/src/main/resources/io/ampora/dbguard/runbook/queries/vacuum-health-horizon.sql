-- What holds vacuum's xmin horizon back for this database's tables, oldest first: a VACUUM keeps every row version
-- that one of these may still see. Sessions of this database with a transaction ID or a snapshot (other databases'
-- sessions do not hold back this database's tables; autovacuum workers and other background processes, which have no
-- user, hold back nobody's vacuum), prepared transactions of this database, and, server-wide, replication slots with
-- an xmin and standbys' hot_standby_feedback. A session hidden from this role shows its xmin but not since when.
-- started is the time the check compares with a table's last vacuum: the transaction's start, the prepare time, and
-- for a slot no standby streams from, inactive_since (PostgreSQL 17+, read through to_jsonb so that the column is NULL
-- where the view lacks it; measured: set when the standby disconnects, and nothing moves an inactive slot's xmin). A
-- standby's feedback xmin moves with its queries, so an active slot and a standby have no such time. A physical slot's catalog_xmin is not read: it holds back the
-- system catalogs only.
-- Read only when a table's dead tuples are over its autovacuum threshold.
-- Parameter 1: the guard's own application_name, whose sessions (other checks of the same report) are left out.
SELECT h.kind, h.pid, h.name, h.user_name, h.application_name, h.state, h.started, h.xid_age, h.fix
FROM (
    SELECT 'session'                                                              AS kind,
           a.pid,
           NULL::text                                                             AS name,
           coalesce(a.usename::text, '')                                          AS user_name,
           coalesce(a.application_name, '')                                       AS application_name,
           a.state,
           a.xact_start                                                           AS started,
           greatest(pg_catalog.age(a.backend_xmin), pg_catalog.age(a.backend_xid))::bigint AS xid_age,
           'SELECT pg_catalog.pg_terminate_backend(' || a.pid || ')'              AS fix
    FROM pg_catalog.pg_stat_activity a
    WHERE a.datname = pg_catalog.current_database()
      AND a.pid <> pg_catalog.pg_backend_pid()
      AND a.application_name IS DISTINCT FROM ?
      AND (a.backend_xmin IS NOT NULL OR a.backend_xid IS NOT NULL)
      AND (a.backend_type = 'client backend' OR (a.backend_type IS NULL AND a.usename IS NOT NULL))
    UNION ALL
    SELECT 'prepared transaction', NULL, pg_catalog.quote_literal(p.gid), p.owner::text, '', NULL, p.prepared,
           pg_catalog.age(p.transaction)::bigint,
           'ROLLBACK PREPARED ' || pg_catalog.quote_literal(p.gid)
    FROM pg_catalog.pg_prepared_xacts p
    WHERE p.database = pg_catalog.current_database()
    UNION ALL
    SELECT 'replication slot', s.active_pid, pg_catalog.quote_literal(s.slot_name::text), coalesce(r.usename::text, ''),
           coalesce(r.application_name, ''), CASE WHEN s.active THEN 'active' ELSE 'inactive' END,
           CASE WHEN NOT s.active THEN (pg_catalog.to_jsonb(s) ->> 'inactive_since')::timestamptz END,
           pg_catalog.age(s.xmin)::bigint,
           CASE WHEN s.active
                THEN 'end the long query on the standby ' || coalesce(nullif(r.application_name, ''),
                                                                 'whose WAL sender is pid ' || s.active_pid)
                     || ' that streams through it, or turn hot_standby_feedback off on it'
                ELSE 'SELECT pg_catalog.pg_drop_replication_slot(' || pg_catalog.quote_literal(s.slot_name::text) || ')'
           END
    FROM pg_catalog.pg_replication_slots s
    LEFT JOIN pg_catalog.pg_stat_replication r ON r.pid = s.active_pid
    WHERE s.xmin IS NOT NULL
    UNION ALL
    SELECT 'standby', r.pid, NULL, coalesce(r.usename::text, ''), coalesce(r.application_name, ''), r.state, NULL,
           pg_catalog.age(r.backend_xmin)::bigint,
           'end the standby''s long query, or turn hot_standby_feedback off on it'
    FROM pg_catalog.pg_stat_replication r
    WHERE r.backend_xmin IS NOT NULL
) h
ORDER BY h.xid_age DESC NULLS LAST, h.pid
LIMIT 5
