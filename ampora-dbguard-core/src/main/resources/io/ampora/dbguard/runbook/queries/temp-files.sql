-- Statements of the current database that wrote temporary files (a sort, hash or aggregate that did not
-- fit in work_mem), with at least minCalls calls and at least listFrom bytes written per call, the most
-- written in total first. The view name and the time columns are filled in by the check from the
-- installed extension's columns; temp_blks_* exist in every version (PostgreSQL 13 to 18).
-- Bind parameters: minCalls, listFrom, top.
-- Statements of other roles read '<insufficient privilege>' without pg_read_all_stats.
WITH db AS (
    SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
), s AS (
    SELECT s.userid,
           pg_catalog.pg_get_userbyid(s.userid)::text                                    AS user_name,
           s.query,
           s.calls,
           s.temp_blks_written * pg_catalog.current_setting('block_size')::bigint        AS temp_written_bytes,
           s.temp_blks_read * pg_catalog.current_setting('block_size')::bigint           AS temp_read_bytes,
           s.{total}                                                                      AS total_ms,
           s.{mean}                                                                       AS mean_ms
    FROM {view} s
    WHERE s.dbid = (SELECT db.oid FROM db)
      AND s.calls >= ?
      AND s.temp_blks_written > 0
      AND s.query IS NOT NULL
)
SELECT s.user_name,
       s.query,
       s.calls,
       s.temp_written_bytes,
       s.temp_read_bytes,
       s.temp_written_bytes / s.calls                                                     AS written_per_call,
       s.total_ms,
       s.mean_ms,
       -- work_mem given to the statement's role (ALTER ROLE ... [IN DATABASE ...] SET), the database's
       -- own setting first; NULL when the role has none (then the database's or server's value applies)
       (SELECT pg_catalog.substr(c.cfg, pg_catalog.length('work_mem=') + 1)
        FROM pg_catalog.pg_db_role_setting r,
             pg_catalog.unnest(r.setconfig) AS c(cfg)
        WHERE r.setrole = s.userid
          AND r.setdatabase IN (0, (SELECT db.oid FROM db))
          AND c.cfg LIKE 'work\_mem=%'
        ORDER BY r.setdatabase DESC
        LIMIT 1)                                                                          AS role_work_mem
FROM s
WHERE s.temp_written_bytes / s.calls >= ?
ORDER BY s.temp_written_bytes DESC
LIMIT ?
