-- PostgreSQL 17+: the checkpointer's own counters.
SELECT (pg_catalog.to_jsonb(c) ->> 'num_timed')::bigint     AS timed,
       (pg_catalog.to_jsonb(c) ->> 'num_requested')::bigint AS requested,
       c.stats_reset
FROM pg_catalog.pg_stat_checkpointer c
