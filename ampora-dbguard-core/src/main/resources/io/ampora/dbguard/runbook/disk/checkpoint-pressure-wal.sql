-- PostgreSQL 14+: WAL written since pg_stat_wal was reset (or since its statistics began).
SELECT w.wal_bytes::bigint AS wal_bytes,
       w.stats_reset
FROM pg_catalog.pg_stat_wal w
