package io.ampora.dbguard.examples.demo;

import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.examples.demo.ConnectionScenarios.Simple;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runbook section 6: disk full. */
final class DiskScenarios {

    private DiskScenarios() {
    }

    static List<Scenario> all() {
        return List.of(new Simple("big-table", RunbookSection.DISK_FULL, "disk-usage",
                "audit_event_archive grew to 50 MB with no retention, on a 64 MB volume", env -> {
                    env.admin("INSERT INTO audit_event_archive (tenant_id, event, payload)"
                            + " SELECT '" + DemoEnvironment.TENANT_A + "', 'order.viewed', repeat(md5(i::text), 14)"
                            + " FROM generate_series(1, 100000) AS i");
                    try {
                        return env.guardAsApp().build().report();
                    } finally {
                        env.awaitTableStats("audit_event_archive", "n_tup_ins", 100_000);
                        env.admin("TRUNCATE audit_event_archive");
                        env.admin("ANALYZE audit_event_archive");
                    }
                }),
                new Simple("frequent-checkpoints", RunbookSection.SLOW_QUERIES, "checkpoint-pressure",
                        "max_wal_size was set to its minimum (32MB) on a server taking a bulk import (here 150 MB of"
                                + " WAL): WAL volume forces a checkpoint every 17 MB instead of every checkpoint_timeout", env -> {
                            env.admin("ALTER SYSTEM SET max_wal_size = '32MB'; SELECT pg_catalog.pg_reload_conf()");
                            resetCheckpointStatistics(env);
                            try {
                                // WAL without a table for the other checks to see: 150 messages of 1 MB
                                env.admin("SELECT pg_catalog.pg_logical_emit_message(false, 'import', repeat('i', 1048576))"
                                        + " FROM generate_series(1, 150)");
                                return env.guardAsApp().set("checkpoint-pressure.minCheckpoints", "5").build().report();
                            } finally {
                                env.admin("ALTER SYSTEM RESET max_wal_size; SELECT pg_catalog.pg_reload_conf()");
                                resetCheckpointStatistics(env);
                            }
                        }),
                new Simple("replication-slot", RunbookSection.DISK_FULL, "replication-slots",
                        "a standby was decommissioned but its replication slot stayed: it keeps every WAL segment"
                                + " written since (warnRetainedBytes lowered to 32MB)", env -> {
                            env.admin("SELECT pg_catalog.pg_create_physical_replication_slot('decommissioned_standby', true)");
                            try {
                                for (int i = 0; i < 3; i++) {
                                    env.admin("SELECT pg_catalog.txid_current()"); // a commit record, so the switch completes a segment
                                    env.admin("SELECT pg_catalog.pg_switch_wal()");
                                }
                                return env.guardAsApp().set("replication-slots.warnRetainedBytes", "32MB").build().report();
                            } finally {
                                env.admin("SELECT pg_catalog.pg_drop_replication_slot('decommissioned_standby')");
                                env.admin("CHECKPOINT");
                            }
                        }),
                new Simple("failing-archiver", RunbookSection.DISK_FULL, "wal-archiving",
                        "the archive destination went away: archive_command fails on every WAL segment, so pg_wal"
                                + " cannot be recycled and backups fall behind", env -> {
                            env.admin("ALTER SYSTEM SET archive_command = 'false'");
                            env.admin("SELECT pg_catalog.pg_reload_conf()");
                            try {
                                String segment = switchWal(env);
                                await(env, "SELECT last_failed_wal >= '" + segment + "' FROM pg_catalog.pg_stat_archiver",
                                        "the archiver to fail on " + segment);
                                return env.guardAsApp().build().report();
                            } finally {
                                env.admin("ALTER SYSTEM SET archive_command = 'true'");
                                env.admin("SELECT pg_catalog.pg_reload_conf()");
                                switchWal(env);
                                await(env, "SELECT last_archived_time > last_failed_time FROM pg_catalog.pg_stat_archiver",
                                        "the repaired archiver to catch up");
                            }
                        }));
    }

    private static String switchWal(DemoEnvironment env) throws SQLException {
        env.admin("SELECT pg_catalog.txid_current()");
        return env.adminQuery("SELECT pg_catalog.pg_walfile_name(pg_catalog.pg_switch_wal())");
    }

    private static void await(DemoEnvironment env, String query, String what) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!"t".equals(env.adminQuery(query))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    /** The counters start again, so that neither this scenario nor the ones after it judge the other's checkpoints. */
    private static void resetCheckpointStatistics(DemoEnvironment env) throws java.sql.SQLException {
        boolean checkpointer = env.adminQuery("SELECT pg_catalog.to_regclass('pg_catalog.pg_stat_checkpointer') IS NOT NULL")
                .equals("t");
        env.admin("SELECT pg_catalog.pg_stat_reset_shared('" + (checkpointer ? "checkpointer" : "bgwriter") + "')");
        if (env.adminQuery("SELECT pg_catalog.to_regclass('pg_catalog.pg_stat_wal') IS NOT NULL").equals("t")) {
            env.admin("SELECT pg_catalog.pg_stat_reset_shared('wal')");
        }
    }
}
