package io.ampora.dbguard.runbook;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.runbook.disk.DiskUsageCheck;
import io.ampora.dbguard.runbook.disk.ReplicationSlotsCheck;
import io.ampora.dbguard.runbook.disk.WalArchivingCheck;
import io.ampora.dbguard.runbook.locks.BlockingLocksCheck;
import io.ampora.dbguard.runbook.locks.LockScenario;
import io.ampora.dbguard.runbook.locks.PreparedTransactionsCheck;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The WAL and prepared-transaction checks on every supported PostgreSQL (their catalogs changed: wal_status
 * and safe_wal_size from 13, conflicting in 16, inactive_since and invalidation_reason in 17), on a server
 * where two-phase commit, logical decoding and archiving are on: healthy first, then a prepared transaction
 * with a waiter, a physical and a logical slot without consumer, and a failing archive_command; as the
 * superuser and as a pg_monitor-only role. Never UNKNOWN, always the problem named.
 */
class WalAndPreparedChecksAcrossVersionsTest {

    private static final Map<String, String> SETTINGS = Map.of("max_prepared_transactions", "5", "wal_level", "logical",
            "archive_mode", "on");

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "14", "15", "16", "17", "18"})
    void everyCheckRunsAndSeesItsProblem(String version) throws Exception {
        Assumptions.assumeTrue(PostgresServers.embedded(), "needs the embedded servers to run several versions");
        PostgresServer server = PostgresServers.get(new ServerSpec(version, SETTINGS, false));
        try (TestDatabase db = TestDatabase.create(server, WalAndPreparedChecksAcrossVersionsTest.class)) {
            db.execute("ALTER SYSTEM SET archive_command = 'true'");
            db.execute("SELECT pg_reload_conf()");
            String monitor = "wal_monitor_" + version;
            db.createRole(monitor, "pw-m", "");
            db.execute("GRANT pg_monitor TO " + monitor);

            Report healthy = report(db.dataSource());
            healthy.checks().forEach(r -> assertThat(r.status()).as(r.checkId() + ": " + r.summary())
                    .isEqualTo(CheckStatus.PASS));

            db.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int); INSERT INTO accounts VALUES (1, 10)");
            db.execute("SELECT pg_create_physical_replication_slot('gone_standby', true)");
            db.execute("SELECT pg_create_logical_replication_slot('stopped_cdc', 'test_decoding')");
            db.execute("ALTER SYSTEM SET archive_command = 'false'");
            db.execute("SELECT pg_reload_conf()");
            try (LockScenario scenario = new LockScenario(db)) {
                Connection xa = db.openSession();
                xa.setAutoCommit(false);
                try (Statement st = xa.createStatement()) {
                    st.execute("UPDATE accounts SET balance = 20 WHERE id = 1");
                    st.execute("PREPARE TRANSACTION 'xa-" + version + "'");
                }
                xa.setAutoCommit(true);
                int waiter = scenario.waitOn("orders-service", "UPDATE accounts SET balance = 30 WHERE id = 1");
                scenario.awaitWaiting(Duration.ofMillis(300), waiter);
                for (int i = 0; i < 2; i++) {
                    db.execute("INSERT INTO accounts SELECT g, 0 FROM generate_series(100 + " + i * 10000 + ", "
                            + (i + 1) * 10000 + ") g");
                    db.queryString("SELECT pg_switch_wal()");
                }
                Checks.await("the archiver to fail", () -> "t".equals(db.queryString(
                        "SELECT last_failed_time IS NOT NULL FROM pg_stat_archiver")));

                for (DataSource ds : List.of(db.dataSource(), db.dataSource(monitor, "pw-m"))) {
                    Report broken = report(ds);
                    assertThat(status(broken, "prepared-transactions")).isEqualTo(CheckStatus.FAIL);
                    assertThat(Checks.withDetail(broken.result("prepared-transactions").orElseThrow(), "gid", "xa-" + version))
                            .hasSize(1);
                    assertThat(broken.result("blocking-locks").orElseThrow().findings()).singleElement()
                            .satisfies(f -> assertThat(f.details()).containsEntry("gid", "xa-" + version));
                    CheckResult slots = broken.result("replication-slots").orElseThrow();
                    assertThat(slots.status()).as(slots.summary()).isEqualTo(CheckStatus.FAIL);
                    assertThat(Checks.withDetail(slots, "slot", "gone_standby")).hasSize(1);
                    assertThat(Checks.withDetail(slots, "slot", "stopped_cdc")).singleElement()
                            .satisfies(f -> assertThat(f.details()).containsEntry("plugin", "test_decoding"));
                    CheckResult archiving = broken.result("wal-archiving").orElseThrow();
                    assertThat(archiving.status()).as(archiving.summary()).isEqualTo(CheckStatus.FAIL);
                    assertThat((Object) archiving.findings().get(0).details().get("readyFiles")).isInstanceOf(Long.class);
                    assertThat(Checks.withDetail(broken.result("disk-usage").orElseThrow(), "walRetainedBy",
                            "slot 'gone_standby'")).hasSize(1);
                    broken.checks().forEach(r -> assertThat(r.status()).as(r.checkId()).isNotEqualTo(CheckStatus.UNKNOWN));
                }
            } finally {
                db.execute("ROLLBACK PREPARED 'xa-" + version + "'");
                db.execute("SELECT pg_drop_replication_slot('gone_standby'); SELECT pg_drop_replication_slot('stopped_cdc')");
                db.execute("ALTER SYSTEM SET archive_command = 'true'");
                db.execute("SELECT pg_reload_conf()");
            }
        }
    }

    private static Report report(DataSource dataSource) {
        List<DatabaseCheck> checks = List.of(new PreparedTransactionsCheck(), new BlockingLocksCheck(),
                new ReplicationSlotsCheck(), new WalArchivingCheck(), new DiskUsageCheck());
        return DbGuard.builder().dataSource(dataSource).checks(checks)
                .set("prepared-transactions.warnAfter", "100ms").set("prepared-transactions.failAfter", "200ms")
                .set("blocking-locks.warnAfter", "100ms").set("blocking-locks.failAfter", "200ms")
                .set("replication-slots.warnRetainedBytes", "1MB").set("replication-slots.failRetainedBytes", "2MB")
                .checkTimeout(Duration.ofSeconds(10)).build().report();
    }

    private static CheckStatus status(Report report, String id) {
        return report.result(id).orElseThrow().status();
    }
}
