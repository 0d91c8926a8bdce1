-- Prepared transactions (two-phase commit, runbook 7): one row per transaction, oldest first.
--
-- A prepared transaction has no backend: it survives its session and even a restart, keeps its locks
-- and holds back vacuum's xmin horizon and freezing until someone runs COMMIT PREPARED or
-- ROLLBACK PREPARED in its database. pg_blocking_pids() reports pid 0 for it; in pg_locks its locks have
-- pid NULL and the virtualtransaction of the lock it holds on its own transaction ID ('-1/<xid>'),
-- which this query matches instead of guessing the format.
--
-- Waiters: sessions with an ungranted lock on an object the prepared transaction holds (a row lock waits
-- on the transaction ID, a table lock on the relation). Sessions queued behind such a waiter are counted
-- by blocking-locks. pg_prepared_xacts and pg_locks are readable by every role; the waiters' names come
-- from pg_stat_activity (pid, user and application_name visible to every role).
WITH locks AS MATERIALIZED (
    SELECT l.pid, l.virtualtransaction, l.locktype, l.mode, l.granted,
           l.database, l.relation, l.page, l.tuple, l.virtualxid, l.transactionid,
           l.classid, l.objid, l.objsubid,
           -- pg_locks.waitstart exists from PostgreSQL 14; read through to_jsonb it is NULL on 13.
           (pg_catalog.to_jsonb(l) ->> 'waitstart')::timestamptz AS wait_start,
           -- the lockable object as one value: composite equality treats NULL fields as equal, so
           -- a.target = b.target is IS NOT DISTINCT FROM on each of these pg_locks columns (xid as text:
           -- xid has no ordering, which a merge join on the composite would need)
           ROW(l.locktype, l.database, l.relation, l.page, l.tuple, l.virtualxid, l.transactionid::text,
               l.classid, l.objid, l.objsubid) AS target,
           -- quote_ident(NULL) is NULL where format('%I') would raise: a relation of another database has no name here.
           CASE l.locktype
               WHEN 'relation' THEN coalesce(pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), 'relation ' || l.relation)
               WHEN 'tuple' THEN 'a row of ' || coalesce(pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), 'relation ' || l.relation)
               WHEN 'transactionid' THEN 'transaction ' || l.transactionid
               WHEN 'advisory' THEN 'advisory lock ' || CASE
                   WHEN l.objsubid = 1 THEN ((l.classid::bigint << 32) | l.objid::bigint)::text
                   ELSE '(' || l.classid || ', ' || l.objid || ')' END
               ELSE l.locktype || ' lock'
           END AS object
    FROM pg_catalog.pg_locks l
    LEFT JOIN pg_catalog.pg_class c
           ON c.oid = l.relation
          AND l.database IN (0, (SELECT d.oid FROM pg_catalog.pg_database d
                                 WHERE d.datname = pg_catalog.current_database()))
    LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
),
prepared AS (
    SELECT p.gid, p.transaction, p.owner, p.database, p.prepared,
           (SELECT l.virtualtransaction
            FROM locks l
            WHERE l.pid IS NULL
              AND l.locktype = 'transactionid'
              AND l.transactionid = p.transaction
            LIMIT 1) AS vxid
    FROM pg_catalog.pg_prepared_xacts p
),
held AS (
    SELECT p.gid, l.*
    FROM prepared p
    JOIN locks l ON l.pid IS NULL AND l.granted AND l.virtualtransaction = p.vxid
),
waits AS (
    SELECT DISTINCT h.gid, w.pid,
           EXTRACT(epoch FROM pg_catalog.clock_timestamp() - coalesce(w.wait_start, a.query_start)) AS wait_seconds
    FROM held h
    JOIN locks w
      ON NOT w.granted
     AND w.pid IS NOT NULL
     AND w.target = h.target
    LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = w.pid
)
SELECT p.gid,
       pg_catalog.quote_literal(p.gid)                                         AS gid_literal,
       p.owner::text                                                           AS owner,
       p.database::text                                                        AS database,
       pg_catalog.quote_ident(p.database)                                      AS database_ident,
       p.transaction::text                                                     AS xid,
       EXTRACT(epoch FROM pg_catalog.clock_timestamp() - p.prepared)           AS prepared_seconds,
       pg_catalog.age(p.transaction)                                           AS xid_age,
       (SELECT count(*) FROM held h WHERE h.gid = p.gid)                       AS lock_count,
       (SELECT pg_catalog.string_agg(DISTINCT h.object, ', ')
        FROM held h
        WHERE h.gid = p.gid
          AND h.locktype NOT IN ('virtualxid', 'transactionid'))               AS locked_objects,
       ARRAY(SELECT w.pid FROM waits w WHERE w.gid = p.gid ORDER BY w.pid)     AS waiting_pids,
       (SELECT max(w.wait_seconds) FROM waits w WHERE w.gid = p.gid)           AS longest_wait_seconds
FROM prepared p
ORDER BY p.prepared, p.gid
