package io.ampora.dbguard.runbook.locks;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@WithPostgres
class LongTransactionsCheckTest {

    @Test
    void reportsOldTransactionWithItsQueryAndHowFarItHoldsBackVacuum(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE ledger (id int)");
        try (LockScenario scenario = new LockScenario(db)) {
            int pid = scenario.hold("psql", "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
                    "SELECT count(*) FROM ledger");
            db.execute("INSERT INTO ledger VALUES (1)");
            db.execute("INSERT INTO ledger VALUES (2)");
            Thread.sleep(1_200);

            CheckResult result = run(db.dataSource(), "300ms", "1s");

            assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(result.findings()).singleElement().satisfies(f -> {
                assertThat(f.details())
                        .containsEntry("pid", pid)
                        .containsEntry("applicationName", "psql")
                        .containsEntry("state", "idle in transaction")
                        .containsEntry("query", "SELECT count(*) FROM ledger")
                        .containsEntry("terminate", "SELECT pg_terminate_backend(" + pid + ")");
                assertThat((Long) f.details().get("xminAge")).isGreaterThanOrEqualTo(2L);
                assertThat(f.message()).startsWith("pid " + pid + " (psql, user postgres) has had a transaction open for ")
                        .contains("(idle in transaction for ", "it holds back vacuum by ",
                                "terminate it with SELECT pg_terminate_backend(" + pid + ")");
            });
            assertThat(result.summary()).startsWith("1 transaction has been open longer than 300ms; the oldest for ");
        }
    }

    @Test
    void warnsBetweenWarnAfterAndFailAfterAndAsksForAnIssueForTheApplication(TestDatabase db) throws Exception {
        try (LockScenario scenario = new LockScenario(db)) {
            int pid = scenario.hold("orders-service", "SELECT 1");
            Thread.sleep(600);

            CheckResult result = DbGuard.builder().dataSource(db.dataSource()).applicationName("orders-service")
                    .checks(List.of(new LongTransactionsCheck()))
                    .set("long-transactions.warnAfter", "300ms").set("long-transactions.failAfter", "1h")
                    .build().report().result("long-transactions").orElseThrow();

            assertThat(result.status()).isEqualTo(CheckStatus.WARN);
            assertThat(result.findings()).singleElement().satisfies(f -> {
                assertThat(f.details()).containsEntry("pid", pid).containsEntry("applicationSession", true)
                        .doesNotContainKey("terminate");
                assertThat(f.message()).contains("open an issue");
            });
        }
    }

    @Test
    void sessionWaitingOnALockIsShownAsTheVictimNotTheCause(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE parcels (id int)");
        try (LockScenario scenario = new LockScenario(db)) {
            int holder = scenario.hold("psql", "LOCK TABLE parcels IN ACCESS EXCLUSIVE MODE");
            int waiter = scenario.waitOn("orders-service", "SELECT count(*) FROM parcels");
            scenario.awaitWaiting(java.time.Duration.ofMillis(400), waiter);

            CheckResult result = run(db.dataSource(), "300ms", "1h");

            assertThat(result.findings()).hasSize(2);
            assertThat(result.findings()).anySatisfy(f -> {
                assertThat(f.details()).containsEntry("pid", waiter).containsEntry("waitingOnLock", true)
                        .doesNotContainKey("terminate");
                assertThat(f.message()).contains("It is waiting on a lock: see blocking-locks");
            });
            assertThat(result.findings()).anySatisfy(f ->
                    assertThat(f.details()).containsEntry("pid", holder).containsEntry("waitingOnLock", false)
                            .containsEntry("terminate", "SELECT pg_terminate_backend(" + holder + ")"));
            assertThat(result.remediation()).contains("pg_terminate_backend(" + holder + ")")
                    .doesNotContain("pid " + waiter + " ");
        }
    }

    @Test
    void unprivilegedRoleReportsUnknownWithTheGrantInsteadOfPassing(TestDatabase db) throws Exception {
        db.createRole("locks_lt_reader", "reader-pw", "");
        try (LockScenario scenario = new LockScenario(db)) {
            int pid = scenario.hold("psql", "SELECT 1");
            Thread.sleep(600);

            CheckResult result = run(db.dataSource("locks_lt_reader", "reader-pw"), "300ms", "1h");

            assertThat(result.status()).isEqualTo(CheckStatus.UNKNOWN);
            assertThat(result.summary()).endsWith(" 1 session of another role is in a transaction of unknown age.");
            assertThat(result.findings()).singleElement().satisfies(f -> {
                assertThat(f.details()).containsEntry("pids", String.valueOf(pid))
                        .containsEntry("grant", "GRANT pg_read_all_stats TO locks_lt_reader");
                assertThat(f.message()).contains("how long they have been open is hidden from this role",
                        pid + " (psql, user postgres)");
            });
        }
    }

    @Test
    void staysQuietOnAHealthyDatabase(TestDatabase db) {
        CheckResult result = DbGuard.builder().dataSource(db.dataSource()).checks(List.of(new LongTransactionsCheck()))
                .build().report().result("long-transactions").orElseThrow();

        assertThat(result.status()).isEqualTo(CheckStatus.PASS);
        assertThat(result.findings()).isEmpty();
        assertThat(result.summary()).isEqualTo("No transaction open longer than 5m00s (warnAfter).");
    }

    private static CheckResult run(DataSource dataSource, String warnAfter, String failAfter) {
        return DbGuard.builder().dataSource(dataSource).checks(List.of(new LongTransactionsCheck()))
                .set("long-transactions.warnAfter", warnAfter).set("long-transactions.failAfter", failAfter)
                .build().report().result("long-transactions").orElseThrow();
    }
}
