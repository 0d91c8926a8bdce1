-- Sessions waiting on a lock and the sessions blocking them (runbook 7), one row per session involved.
--
-- pg_blocking_pids() sees every lock type (relation, row lock through transactionid, advisory,
-- virtualxid, ...) and "soft" blocks (waiting behind another waiter in the queue), which the classic
-- pg_locks self-join misses. It is only called for sessions that wait on a heavyweight lock:
-- wait_event_type = 'Lock' when the role may read it; for other roles' sessions, which hide
-- wait_event_type without pg_read_all_stats, an ungranted row in pg_locks (readable by every role).
--
-- Waiters in other databases are left out; their blockers are shown wherever they are.
--
-- Parameter 1: the guard's own application_name, whose sessions are left out.
WITH locks AS MATERIALIZED (
    SELECT l.pid, l.locktype, l.mode, l.granted,
           l.database, l.relation, l.page, l.tuple, l.virtualxid, l.transactionid,
           l.classid, l.objid, l.objsubid,
           -- pg_locks.waitstart exists from PostgreSQL 14; read through to_jsonb it is NULL on 13.
           (pg_catalog.to_jsonb(l) ->> 'waitstart')::timestamptz AS wait_start,
           -- the lockable object as one value: composite equality treats NULL fields as equal, so
           -- a.target = b.target is IS NOT DISTINCT FROM on each of these pg_locks columns (xid as text:
           -- xid has no ordering, which a merge join on the composite would need)
           ROW(l.locktype, l.database, l.relation, l.page, l.tuple, l.virtualxid, l.transactionid::text,
               l.classid, l.objid, l.objsubid) AS target,
           -- quote_ident(NULL) is NULL where format('%I') raises: a relation of another database has no name here.
           CASE l.locktype
               WHEN 'relation' THEN coalesce(pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), 'relation ' || l.relation)
               WHEN 'tuple' THEN 'a row of ' || coalesce(pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), 'relation ' || l.relation)
               WHEN 'page' THEN 'a page of ' || coalesce(pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), 'relation ' || l.relation)
               WHEN 'extend' THEN 'the extension of ' || coalesce(pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), 'relation ' || l.relation)
               WHEN 'transactionid' THEN 'transaction ' || l.transactionid
               WHEN 'virtualxid' THEN 'virtual transaction ' || l.virtualxid
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
activity AS MATERIALIZED (
    SELECT a.*
    FROM pg_catalog.pg_stat_activity a
),
guard AS (
    SELECT a.pid
    FROM activity a
    WHERE a.pid = pg_catalog.pg_backend_pid()
       OR a.application_name = ?
),
waiting AS (
    SELECT a.pid, pg_catalog.pg_blocking_pids(a.pid) AS blocked_by
    FROM activity a
    WHERE a.datname = pg_catalog.current_database()
      AND a.pid NOT IN (SELECT g.pid FROM guard g)
      AND (a.wait_event_type = 'Lock'
           OR (a.backend_type IS NULL
               AND EXISTS (SELECT 1 FROM locks l WHERE l.pid = a.pid AND NOT l.granted)))
),
edges AS (
    SELECT w.pid AS waiter, b.pid AS blocker
    FROM waiting w
    CROSS JOIN LATERAL pg_catalog.unnest(w.blocked_by) AS b(pid)
    WHERE b.pid NOT IN (SELECT g.pid FROM guard g)
),
awaited AS (
    SELECT DISTINCT ON (l.pid) l.*
    FROM locks l
    WHERE NOT l.granted
      AND l.pid IN (SELECT e.waiter FROM edges e)
    ORDER BY l.pid
),
held AS (
    -- What each blocker holds on the objects its waiters wait for.
    SELECT e.blocker,
           pg_catalog.array_agg(DISTINCT g.mode) AS modes,
           pg_catalog.string_agg(DISTINCT g.object, ', ') AS objects
    FROM edges e
    JOIN awaited x ON x.pid = e.waiter
    JOIN locks g
      ON g.pid = e.blocker
     AND g.granted
     AND g.target = x.target
    GROUP BY e.blocker
),
involved AS (
    SELECT e.waiter AS pid FROM edges e
    UNION
    SELECT e.blocker FROM edges e
),
vacuuming AS (
    -- A (auto)vacuum in the way: what it vacuums and how far it got. Its counters are NULL for a role that may not
    -- see the session (the row itself is there).
    SELECT p.pid, p.phase, p.heap_blks_total, p.heap_blks_scanned,
           pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS vacuumed
    FROM pg_catalog.pg_stat_progress_vacuum p
    LEFT JOIN pg_catalog.pg_class c ON c.oid = p.relid AND p.datname = pg_catalog.current_database()
    LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE p.pid IN (SELECT e.blocker FROM edges e)
)
SELECT i.pid,
       (a.pid IS NOT NULL)                       AS in_activity,
       (a.pid IS NOT NULL AND a.backend_type IS NULL) AS hidden,
       coalesce(a.usename::text, '')             AS user_name,
       coalesce(a.application_name, '')          AS application_name,
       pg_catalog.host(a.client_addr)            AS client_addr,
       a.state,
       a.query,
       EXTRACT(epoch FROM pg_catalog.clock_timestamp() - a.xact_start) AS xact_seconds,
       ARRAY(SELECT e.blocker FROM edges e WHERE e.waiter = i.pid ORDER BY e.blocker) AS blocked_by,
       x.mode                                     AS awaited_mode,
       x.object                                   AS awaited_object,
       CASE WHEN x.pid IS NOT NULL THEN
           EXTRACT(epoch FROM pg_catalog.clock_timestamp() - coalesce(x.wait_start, a.query_start))
       END                                        AS wait_seconds,
       h.modes                                    AS held_modes,
       h.objects                                  AS held_objects,
       pg_catalog.quote_ident(current_user::text) AS role_ident,
       a.backend_type,
       v.phase                                    AS vacuum_phase,
       v.heap_blks_total                          AS vacuum_blocks,
       v.heap_blks_scanned                        AS vacuum_scanned,
       v.vacuumed                                 AS vacuumed
FROM involved i
LEFT JOIN activity a ON a.pid = i.pid
LEFT JOIN vacuuming v ON v.pid = i.pid
LEFT JOIN awaited x ON x.pid = i.pid
LEFT JOIN held h ON h.blocker = i.pid
ORDER BY i.pid
