-- The WAL archiver (runbook 6 and 8): pg_stat_archiver's counters and the last archived and failed
-- segments. Failing: the last failure is newer than the last success (the archiver retries the same
-- segment, in order, so nothing after it is archived either). pg_stat_archiver is readable by every role.
SELECT a.archived_count,
       a.last_archived_wal,
       EXTRACT(epoch FROM pg_catalog.clock_timestamp() - a.last_archived_time) AS archived_seconds,
       a.failed_count,
       a.last_failed_wal,
       EXTRACT(epoch FROM pg_catalog.clock_timestamp() - a.last_failed_time)   AS failed_seconds,
       EXTRACT(epoch FROM pg_catalog.clock_timestamp() - a.stats_reset)        AS reset_seconds,
       (a.last_failed_time IS NOT NULL
        AND (a.last_archived_time IS NULL OR a.last_failed_time > a.last_archived_time)) AS failing,
       pg_catalog.current_setting('archive_mode')                              AS archive_mode,
       pg_catalog.pg_is_in_recovery()                                          AS in_recovery
FROM pg_catalog.pg_stat_archiver a
