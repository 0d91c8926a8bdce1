-- The top statements of the current database by mean and by total execution time, with at least
-- minCalls calls. The view name and the time columns are filled in by the check
-- from the installed extension version; bind parameters: minCalls, top, top.
-- Statements of other roles read '<insufficient privilege>' without pg_read_all_stats.
WITH s AS (
    -- queryid is NULL in rows hidden from the role: tell those apart by their figures
    SELECT s.userid::bigint || ':' || coalesce(s.queryid::text, 'hidden:' || s.calls || ':' || s.{total}) AS statement_key,
           pg_catalog.pg_get_userbyid(s.userid)::text      AS user_name,
           s.query,
           s.calls,
           s.{total}                                       AS total_ms,
           s.{mean}                                        AS mean_ms
    FROM {view} s
    WHERE s.dbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
      AND s.calls >= ?
      AND s.query IS NOT NULL
)
(SELECT 'mean' AS ranked_by, s.* FROM s ORDER BY s.mean_ms DESC LIMIT ?)
UNION ALL
(SELECT 'total' AS ranked_by, s.* FROM s ORDER BY s.total_ms DESC LIMIT ?)
