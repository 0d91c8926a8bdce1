package io.ampora.dbguard.runbook.locks;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@WithPostgres
class IdleInTransactionCheckTest {

    private static final String ITEMS = "\"My Schema\".\"Order \"\"Items\"\"\"";

    @Test
    void reportsSessionIdleInTransactionWithItsLastStatement(TestDatabase db) throws Exception {
        db.execute("CREATE SCHEMA IF NOT EXISTS \"My Schema\"; CREATE TABLE " + ITEMS + " (id int)");
        try (LockScenario scenario = new LockScenario(db)) {
            int pid = scenario.hold("psql", "UPDATE " + ITEMS + " SET id = id + 1");
            Thread.sleep(1_200);

            CheckResult result = run(db.dataSource(), "300ms", "1s");

            assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(result.findings()).singleElement().satisfies(f -> {
                assertThat(f.details())
                        .containsEntry("pid", pid)
                        .containsEntry("state", "idle in transaction")
                        .containsEntry("query", "UPDATE " + ITEMS + " SET id = id + 1")
                        .containsEntry("terminate", "SELECT pg_terminate_backend(" + pid + ")");
                assertThat(f.message()).startsWith("pid " + pid + " (psql, user postgres) has been idle in transaction for ")
                        .contains("its last statement: UPDATE " + ITEMS + " SET id = id + 1",
                                "terminate it with SELECT pg_terminate_backend(" + pid + ")");
            });
            assertThat(result.remediation()).contains("pg_terminate_backend(" + pid + ")",
                    "SET idle_in_transaction_session_timeout = '10min'");
        }
    }

    @Test
    void reportsAbortedTransactionNobodyRolledBack(TestDatabase db) throws Exception {
        try (Connection c = db.openSession()) {
            try (Statement st = c.createStatement()) {
                st.execute("SET application_name = 'orders-service'");
                c.setAutoCommit(false);
                st.execute("SELECT 1");
                try {
                    st.execute("SELECT 1 / 0");
                } catch (java.sql.SQLException expected) {
                    // leaves the transaction aborted
                }
            }
            Thread.sleep(600);

            CheckResult result = DbGuard.builder().dataSource(db.dataSource()).applicationName("orders-service")
                    .checks(List.of(new IdleInTransactionCheck()))
                    .set("idle-in-transaction.warnAfter", "300ms").set("idle-in-transaction.failAfter", "1h")
                    .build().report().result("idle-in-transaction").orElseThrow();

            assertThat(result.status()).isEqualTo(CheckStatus.WARN);
            assertThat(result.findings()).singleElement().satisfies(f -> {
                assertThat(f.details()).containsEntry("state", "idle in transaction (aborted)")
                        .containsEntry("query", "SELECT 1 / 0")
                        .containsEntry("applicationSession", true);
                assertThat(f.message()).contains("open an issue", "misses its commit or rollback");
            });
            c.rollback();
        }
    }

    @Test
    void unprivilegedRoleReportsUnknownWithTheGrant(TestDatabase db) throws Exception {
        db.createRole("locks_it_reader", "reader-pw", "");
        try (LockScenario scenario = new LockScenario(db)) {
            int pid = scenario.hold("psql", "SELECT 1");

            CheckResult result = run(db.dataSource("locks_it_reader", "reader-pw"), "300ms", "1h");

            assertThat(result.status()).isEqualTo(CheckStatus.UNKNOWN);
            assertThat(result.findings()).singleElement().satisfies(f ->
                    assertThat(f.details()).containsEntry("pids", String.valueOf(pid))
                            .containsEntry("grant", "GRANT pg_read_all_stats TO locks_it_reader"));
        }
    }

    @Test
    void staysQuietWhenTheTimeoutIsSetAndNobodyIdles(TestDatabase db) throws Exception {
        db.execute("ALTER DATABASE " + db.name() + " SET idle_in_transaction_session_timeout = '10min'");
        try {
            CheckResult result = run(db.dataSource(), "1m", "10m");

            assertThat(result.status()).isEqualTo(CheckStatus.PASS);
            assertThat(result.findings()).isEmpty();
            assertThat(result.summary()).isEqualTo("No session has been idle in a transaction longer than 1m00s (warnAfter).");
            assertThat(result.remediation()).isEmpty();
        } finally {
            db.execute("ALTER DATABASE " + db.name() + " RESET idle_in_transaction_session_timeout");
        }
    }

    @Test
    void recommendsTheTimeoutWhenItIsOffEvenWhenNobodyIdles(TestDatabase db) {
        CheckResult result = run(db.dataSource(), "1m", "10m");

        assertThat(result.status()).isEqualTo(CheckStatus.PASS);
        assertThat(result.summary()).contains("idle_in_transaction_session_timeout is off");
        assertThat(result.remediation()).contains("ALTER DATABASE " + db.name() + " SET idle_in_transaction_session_timeout");
        if (db.server().majorVersion() >= 17) {
            assertThat(result.remediation()).contains("transaction_timeout");
        } else {
            assertThat(result.remediation()).doesNotContain("transaction_timeout");
        }
    }

    private static CheckResult run(DataSource dataSource, String warnAfter, String failAfter) {
        return DbGuard.builder().dataSource(dataSource).checks(List.of(new IdleInTransactionCheck()))
                .set("idle-in-transaction.warnAfter", warnAfter).set("idle-in-transaction.failAfter", failAfter)
                .build().report().result("idle-in-transaction").orElseThrow();
    }
}
