-- The replica's apply lag as the runbook measures it, and what that formula alone cannot see.
-- Run it only on a server in recovery: the pause functions fail elsewhere.
--   lag_seconds: 0 when everything received is replayed, otherwise the age of the last replayed
--   transaction (NULL when none was replayed since the replica started). It reads 0 forever once the
--   WAL receiver is gone, hence the receiver columns (details need pg_read_all_stats; pid does not).
--   The check re-reads when the lag looks high: replay that passes the first reading's receive position
--   meanwhile keeps up, whatever the age of the last replayed commit (a quiet primary, or WAL without
--   commits such as a long bulk load or an index build, makes that age read hours).
--   /*pause_state*/ is replaced by pg_get_wal_replay_pause_state() from PostgreSQL 14, and by an
--   expression over pg_is_wal_replay_paused() before.
SELECT s.receive_lsn::text                                     AS receive_lsn,
       s.replay_lsn::text                                      AS replay_lsn,
       pg_catalog.pg_wal_lsn_diff(s.receive_lsn, s.replay_lsn) AS bytes_behind,
       s.replay_at                                             AS last_replay_at,
       CASE
           WHEN s.receive_lsn IS NOT NULL AND s.receive_lsn <= s.replay_lsn THEN 0
           WHEN s.replay_at IS NULL THEN NULL
           ELSE greatest(0, extract(epoch FROM pg_catalog.clock_timestamp() - s.replay_at))
       END                                                     AS lag_seconds,
       /*pause_state*/                                         AS pause_state,
       (r.pid IS NOT NULL)                                     AS receiver_running,
       r.status                                                AS receiver_status,
       extract(epoch FROM pg_catalog.clock_timestamp() - r.last_msg_receipt_time) AS last_message_age_seconds,
       -- when the primary last sent WAL beyond what it had sent before (its clock): a lower bound of the
       -- delay of the newest WAL waiting for replay
       extract(epoch FROM pg_catalog.clock_timestamp() - r.latest_end_time) AS latest_end_age_seconds,
       r.sender_host                                           AS sender_host,
       r.sender_port                                           AS sender_port
FROM (SELECT pg_catalog.pg_last_wal_receive_lsn()        AS receive_lsn,
             pg_catalog.pg_last_wal_replay_lsn()         AS replay_lsn,
             pg_catalog.pg_last_xact_replay_timestamp()  AS replay_at) s
LEFT JOIN pg_catalog.pg_stat_wal_receiver r ON true
