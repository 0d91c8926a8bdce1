-- Which server the configured read replica really is: in recovery (a standby) or not (a primary that
-- accepts writes, so reads and writes hit the same kind of server by accident), with the evidence to
-- find it. Safe on any server; pg_stat_replication rows are counted even when their details are hidden.
SELECT pg_catalog.pg_is_in_recovery()               AS in_recovery,
       coalesce(pg_catalog.host(pg_catalog.inet_server_addr()), 'local socket') AS server_addr,
       pg_catalog.inet_server_port()                AS server_port,
       pg_catalog.current_database()                AS database_name,
       pg_catalog.pg_postmaster_start_time()        AS started_at,
       (SELECT count(*) FROM pg_catalog.pg_stat_replication) AS standbys
