-- Replication slots and the WAL each one keeps (runbook 6, also 5), largest first.
--
-- A slot keeps every WAL segment from its restart_lsn on whether or not a consumer is connected; a
-- logical slot also keeps catalog rows (catalog_xmin) and has a confirmed_flush_lsn, the position its
-- consumer acknowledged. wal_status: reserved (within max_wal_size), extended (beyond it, kept by
-- wal_keep_size or the slot), unreserved (past max_slot_wal_keep_size: removed at the next checkpoint),
-- lost (removed: the consumer can no longer resume). safe_wal_size: how much more WAL may be written
-- before the slot is in danger (NULL when max_slot_wal_keep_size is -1, unbounded).
--
-- Columns that came later are read through to_jsonb so the query runs on 13 to 18:
-- inactive_since and invalidation_reason (17+), conflicting (16+).
-- On a standby (cascading slots) the position is the WAL received so far, as pg_current_wal_lsn()
-- raises an error during recovery. pg_replication_slots is readable by every role; the consumer's
-- address and state in pg_stat_replication need pg_read_all_stats.
WITH here AS (
    SELECT CASE WHEN pg_catalog.pg_is_in_recovery()
                THEN coalesce(pg_catalog.pg_last_wal_receive_lsn(), pg_catalog.pg_last_wal_replay_lsn())
                ELSE pg_catalog.pg_current_wal_lsn() END AS lsn
),
slots AS (
    SELECT s.*, pg_catalog.to_jsonb(s) AS j
    FROM pg_catalog.pg_replication_slots s
)
SELECT s.slot_name::text                                              AS slot_name,
       pg_catalog.quote_literal(s.slot_name::text)                    AS slot_literal,
       s.slot_type,
       s.plugin::text                                                 AS plugin,
       s.database::text                                               AS database,
       pg_catalog.quote_ident(s.database::text)                       AS database_ident,
       s.temporary,
       s.active,
       s.active_pid,
       r.application_name                                             AS consumer_application,
       pg_catalog.host(r.client_addr)                                 AS consumer_address,
       r.state                                                        AS consumer_state,
       (r.pid IS NOT NULL AND r.state IS NULL)                        AS consumer_hidden,
       s.restart_lsn::text                                            AS restart_lsn,
       s.confirmed_flush_lsn::text                                    AS confirmed_flush_lsn,
       pg_catalog.pg_wal_lsn_diff(p.lsn, s.restart_lsn)::bigint       AS retained_bytes,
       pg_catalog.pg_wal_lsn_diff(p.lsn, s.confirmed_flush_lsn)::bigint AS unconfirmed_bytes,
       s.wal_status,
       s.safe_wal_size,
       EXTRACT(epoch FROM pg_catalog.clock_timestamp() - (s.j ->> 'inactive_since')::timestamptz) AS inactive_seconds,
       (s.j -> 'inactive_since') IS NOT NULL                                 AS knows_inactive_since,
       s.j ->> 'invalidation_reason'                                  AS invalidation_reason,
       greatest(pg_catalog.age(s.xmin), pg_catalog.age(s.catalog_xmin)) AS xmin_age
FROM slots s
CROSS JOIN here p
LEFT JOIN pg_catalog.pg_stat_replication r ON r.pid = s.active_pid
ORDER BY pg_catalog.pg_wal_lsn_diff(p.lsn, s.restart_lsn) DESC NULLS LAST, s.slot_name
