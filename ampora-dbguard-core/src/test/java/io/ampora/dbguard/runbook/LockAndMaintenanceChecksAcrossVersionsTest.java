package io.ampora.dbguard.runbook;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.runbook.locks.BlockingLocksCheck;
import io.ampora.dbguard.runbook.locks.IdleInTransactionCheck;
import io.ampora.dbguard.runbook.locks.LockScenario;
import io.ampora.dbguard.runbook.locks.LongTransactionsCheck;
import io.ampora.dbguard.runbook.maintenance.InvalidIndexesCheck;
import io.ampora.dbguard.runbook.maintenance.SequenceExhaustionCheck;
import io.ampora.dbguard.runbook.maintenance.TxidWraparoundCheck;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The lock and maintenance checks' SQL runs on the oldest and newest supported PostgreSQL and the versions
 * where the catalogs they read changed (pg_locks.waitstart in 14, transaction_timeout in 17, 18's
 * pg_sequence_last_value): each check must reach a verdict, never UNKNOWN from an SQL error, and see the
 * problem built for it.
 */
class LockAndMaintenanceChecksAcrossVersionsTest {

    private static final String ITEMS = "\"My Schema\".\"Order \"\"Items\"\"\"";
    private static final String ITEMS_SEQ = "\"My Schema\".\"Order \"\"Items\"\"_id_seq\"";

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "16", "17", "18"})
    void everyCheckRunsAndSeesItsProblem(String version) throws Exception {
        Assumptions.assumeTrue(PostgresServers.embedded(), "needs the embedded servers to run several versions");
        PostgresServer server = PostgresServers.get(ServerSpec.defaults().onVersion(version));
        try (TestDatabase db = TestDatabase.create(server, LockAndMaintenanceChecksAcrossVersionsTest.class)) {
            Report healthy = guard(db.dataSource()).report();
            healthy.checks().forEach(r -> assertThat(r.status()).as(r.checkId() + ": " + r.summary()).isEqualTo(CheckStatus.PASS));

            db.execute("CREATE SCHEMA \"My Schema\"; CREATE SEQUENCE " + ITEMS_SEQ + " AS bigint;"
                    + " CREATE TABLE " + ITEMS + " (id int DEFAULT nextval('" + ITEMS_SEQ + "'), sku text, k int)"
                    + " PARTITION BY RANGE (k);"
                    + " CREATE TABLE \"My Schema\".\"Order Items 1\" PARTITION OF " + ITEMS + " FOR VALUES FROM (0) TO (100);"
                    + " ALTER SEQUENCE " + ITEMS_SEQ + " OWNED BY " + ITEMS + ".id;"
                    + " SELECT setval('" + ITEMS_SEQ + "', 2040109465);"
                    + " INSERT INTO " + ITEMS + " (sku, k) VALUES ('A-1', 1), ('A-1', 2)");
            try {
                db.execute("CREATE UNIQUE INDEX CONCURRENTLY items_sku ON \"My Schema\".\"Order Items 1\" (sku)");
            } catch (java.sql.SQLException expected) {
                // the duplicate leaves the index invalid
            }
            db.createRole("locks_versions_reader", "reader-pw", "");

            try (LockScenario scenario = new LockScenario(db)) {
                scenario.hold("psql", "LOCK TABLE " + ITEMS + " IN ACCESS EXCLUSIVE MODE");
                int waiter = scenario.waitOn("orders-service", "SELECT count(*) FROM " + ITEMS);
                scenario.awaitWaiting(Duration.ofMillis(1_100), waiter);

                Report report = guard(db.dataSource()).report();

                assertThat(statuses(report)).as(report.checks().toString()).containsExactlyInAnyOrderEntriesOf(Map.of(
                        "blocking-locks", CheckStatus.FAIL,
                        "long-transactions", CheckStatus.FAIL,
                        "idle-in-transaction", CheckStatus.FAIL,
                        "sequence-exhaustion", CheckStatus.FAIL,
                        "invalid-indexes", CheckStatus.FAIL,
                        "txid-wraparound", CheckStatus.PASS));

                // Without pg_read_all_stats a check may not tell, but only for that reason, naming the grant.
                Report unprivileged = guard(db.dataSource("locks_versions_reader", "reader-pw")).report();
                for (CheckResult r : unprivileged.checks()) {
                    if (r.status() == CheckStatus.UNKNOWN) {
                        assertThat(r.findings()).as(r.checkId() + ": " + r.summary())
                                .anySatisfy(f -> assertThat(f.details()).containsKey("grant"));
                    }
                }
                assertThat(unprivileged.result("blocking-locks").orElseThrow().status())
                        .isEqualTo(server.majorVersion() >= 14 ? CheckStatus.FAIL : CheckStatus.UNKNOWN);
            }
        }
    }

    private static DbGuard guard(DataSource dataSource) {
        List<DatabaseCheck> checks = List.of(new BlockingLocksCheck(), new LongTransactionsCheck(), new IdleInTransactionCheck(),
                new TxidWraparoundCheck(), new SequenceExhaustionCheck(), new InvalidIndexesCheck());
        return DbGuard.builder().dataSource(dataSource).checks(checks)
                .set("blocking-locks.warnAfter", "100ms").set("blocking-locks.failAfter", "300ms")
                .set("long-transactions.warnAfter", "300ms").set("long-transactions.failAfter", "1s")
                .set("idle-in-transaction.warnAfter", "300ms").set("idle-in-transaction.failAfter", "1s")
                .build();
    }

    private static Map<String, CheckStatus> statuses(Report report) {
        return report.checks().stream().collect(java.util.stream.Collectors.toMap(CheckResult::checkId, CheckResult::status));
    }
}
