-- WAL segments waiting for the archiver: the .ready files in pg_wal/archive_status, and how old the oldest
-- is. pg_ls_archive_statusdir() (PostgreSQL 12+) needs superuser, pg_monitor or a granted EXECUTE.
SELECT count(*)                                                            AS ready_files,
       min(pg_catalog.left(s.name, -6))                                    AS oldest_ready,
       EXTRACT(epoch FROM pg_catalog.clock_timestamp() - min(s.modification)) AS oldest_ready_seconds
FROM pg_catalog.pg_ls_archive_statusdir() s
WHERE s.name LIKE '%.ready'
