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
}
