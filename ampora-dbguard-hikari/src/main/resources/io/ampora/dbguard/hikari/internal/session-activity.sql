-- What the database sees of the sessions behind borrowed connections, by backend pid.
-- Without pg_read_all_stats, other roles' state and query read NULL: they come back empty.
SELECT a.pid,
       coalesce(a.state, '')                                                    AS state,
       coalesce(a.query, '')                                                    AS query,
       coalesce(extract(epoch FROM clock_timestamp() - a.query_start) * 1000, 0) AS query_millis,
       coalesce(extract(epoch FROM clock_timestamp() - a.xact_start) * 1000, 0)  AS xact_millis,
       coalesce(a.wait_event_type, '')                                          AS wait_event_type,
       coalesce(a.wait_event, '')                                               AS wait_event
FROM pg_catalog.pg_stat_activity a
WHERE a.pid = ANY (?)
