-- What a session waits for and who blocks it (one row per blocker; one row with NULL blocker when none).
-- Parameter 1: the waiting backend's pid.
SELECT w.wait_event_type, w.wait_event, b.pid, b.application_name, b.usename, b.state,
       pg_catalog.left(b.query, 200) AS query,
       (EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - b.xact_start) * 1000)::bigint AS xact_ms
FROM pg_catalog.pg_stat_activity w
LEFT JOIN LATERAL pg_catalog.unnest(pg_catalog.pg_blocking_pids(w.pid)) AS bp(pid) ON true
LEFT JOIN pg_catalog.pg_stat_activity b ON b.pid = bp.pid
WHERE w.pid = ?
