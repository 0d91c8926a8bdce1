-- Sessions that use client connection slots, grouped by who holds them.
-- Without pg_read_all_stats, rows of other roles show NULL backend_type and state: they are counted
-- as client sessions (hidden = true) so that the total stays honest.
SELECT coalesce(a.application_name, '') AS application_name,
       coalesce(a.usename::text, '')     AS user_name,
       coalesce(a.state, '')             AS state,
       (a.backend_type IS NULL)          AS hidden,
       count(*)                          AS sessions
FROM pg_catalog.pg_stat_activity a
WHERE a.backend_type = 'client backend'
   OR (a.backend_type IS NULL AND a.usesysid IS NOT NULL)
GROUP BY 1, 2, 3, 4
