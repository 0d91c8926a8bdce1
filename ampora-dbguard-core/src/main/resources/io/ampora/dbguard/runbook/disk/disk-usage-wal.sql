-- Size of pg_wal; pg_ls_waldir() needs superuser, pg_monitor or a granted EXECUTE.
SELECT count(*)                    AS files,
       coalesce(sum(w.size), 0)::bigint AS total_bytes
FROM pg_catalog.pg_ls_waldir() w
