package io.ampora.dbguard.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

@WithPostgres
class QueryErrorMetricsTest {

    private static final Duration WITHIN = Duration.ofSeconds(20);
    private static final String LOG_PREFIX = "Statements fail with ";

    private final ExecutorService background = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "query-error-scenario");
        t.setDaemon(true);
        return t;
    });

    @AfterEach
    void stopBackground() {
        background.shutdownNow();
    }

    @Test
    void deadlockBetweenTwoSessionsIsCountedAsRetryableInItsOperationAndLoggedOnceWithTheFix(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE dl_accounts (id int PRIMARY KEY, balance int); INSERT INTO dl_accounts VALUES (1, 0), (2, 0)");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DataSource metered = QueryMetrics.of(registry).wrap(db.dataSource());

        String log = captureStderr(() -> {
            try (Connection a = metered.getConnection(); Connection b = metered.getConnection()) {
                // b detects the deadlock (and is its victim) long before a would look
                execute(a, "SET deadlock_timeout = '20s'");
                execute(b, "SET deadlock_timeout = '100ms'");
                a.setAutoCommit(false);
                b.setAutoCommit(false);
                execute(a, "UPDATE dl_accounts SET balance = balance - 10 WHERE id = 1");
                execute(b, "UPDATE dl_accounts SET balance = balance - 10 WHERE id = 2");
                int aPid = pid(a);
                Future<?> aWaits = background.submit(() -> QueryOperation.call("transfer-funds",
                        () -> execute(a, "UPDATE dl_accounts SET balance = balance + 10 WHERE id = 2")));
                Await.until("pid " + aPid + " to wait for a lock", WITHIN, () -> "Lock".equals(db.queryString(
                        "SELECT wait_event_type FROM pg_catalog.pg_stat_activity WHERE pid = " + aPid)));

                assertThatThrownBy(() -> QueryOperation.call("transfer-funds",
                        () -> execute(b, "UPDATE dl_accounts SET balance = balance + 10 WHERE id = 1")))
                        .isInstanceOf(SQLException.class)
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("40P01"));
                b.rollback();
                aWaits.get(WITHIN.toSeconds(), TimeUnit.SECONDS);
                a.rollback();
            }
        });

        assertThat(errors(registry, "deadlock", "true", "transfer-funds").count()).isEqualTo(1);
        assertThat(registry.find(QueryMetrics.QUERY_ERRORS).counters()).as("one failure, one series").hasSize(1);
        assertThat(registry.get(QueryMetrics.QUERY_TIMER).tag("outcome", "error").tag("operation", "transfer-funds")
                .timer().count()).isEqualTo(1);
        List<String> lines = warnLines(log);
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0))
                .contains(" WARN ", "Statements fail with deadlock (SQLSTATE 40P01, operation transfer-funds, retryable):"
                        + " first seen. Meaning: This transaction and another each waited for a lock the other held")
                .contains("Fix: Retry the transaction.", "same order", "Related check: none.", "Runbook: ")
                .doesNotContain("UPDATE", "dl_accounts", "Process ");
    }

    @Test
    void statementTimeoutAndDuplicateAreCountedByCauseNotRetryableAndLoggedWithoutTheirData(TestDatabase db)
            throws Exception {
        db.execute("CREATE TABLE dup_customers (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text UNIQUE)");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DataSource metered = QueryMetrics.of(registry).wrap(db.dataSource());

        String log = captureStderr(() -> {
            try (Connection c = metered.getConnection()) {
                execute(c, "INSERT INTO dup_customers (email) VALUES ('alice@example.com')");
                execute(c, "SET statement_timeout = '50ms'");
                assertThatThrownBy(() -> QueryOperation.call("slow-report", () -> query(c, "SELECT pg_catalog.pg_sleep(1)")))
                        .isInstanceOf(SQLException.class);
                execute(c, "RESET statement_timeout");
                assertThatThrownBy(() -> execute(c, "INSERT INTO dup_customers (email) VALUES ('alice@example.com')"))
                        .isInstanceOf(SQLException.class);
            }
        });

        assertThat(errors(registry, "statement-timeout", "false", "slow-report").count()).isEqualTo(1);
        assertThat(errors(registry, "duplicate-key", "false", QueryOperation.UNNAMED).count()).isEqualTo(1);
        assertThat(registry.find(QueryMetrics.QUERY_ERRORS).counters()).hasSize(2);
        List<String> lines = warnLines(log);
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).contains("statement-timeout (SQLSTATE 57014, operation slow-report, not retryable)",
                "Meaning: The statement ran longer than statement_timeout", "Related check: slow-queries.");
        assertThat(lines.get(1)).contains("duplicate-key (SQLSTATE 23505, operation unnamed, not retryable)");
        assertThat(log).as("the duplicate's key value is the user's data, the SQL is never logged")
                .doesNotContain("alice@example.com", "pg_sleep", "INSERT");
    }

    @Test
    void aCauseIsLoggedAtMostOncePerMinuteWithHowManyOccurredSinceTheLastLine(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE rl_customers (email text UNIQUE); INSERT INTO rl_customers VALUES ('bob@example.com')");
        AtomicLong now = new AtomicLong(1_000_000_000L);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DataSource metered = new QueryMetrics(registry, now::get).wrap(db.dataSource());

        String log = captureStderr(() -> {
            try (Connection c = metered.getConnection()) {
                QueryOperation.run("sign-up", () -> {
                    duplicate(c);                                      // t = 0: first seen, logged
                    now.addAndGet(Duration.ofSeconds(20).toNanos());
                    duplicate(c);                                      // t = 20s: counted, not logged
                    now.addAndGet(Duration.ofSeconds(39).toNanos());
                    duplicate(c);                                      // t = 59s: counted, not logged
                });
                execute(c, "SET statement_timeout = '50ms'");
                assertThatThrownBy(() -> query(c, "SELECT pg_catalog.pg_sleep(1)"))
                        .as("another cause has its own minute").isInstanceOf(SQLException.class);
                execute(c, "RESET statement_timeout");
                now.addAndGet(Duration.ofSeconds(2).toNanos());
                QueryOperation.run("sign-up", () -> duplicate(c));     // t = 61s: logged, 3 since the last line
                QueryOperation.run("sign-up", () -> duplicate(c));     // t = 61s: counted, not logged
            }
        });

        assertThat(errors(registry, "duplicate-key", "false", "sign-up").count()).isEqualTo(5);
        List<String> lines = warnLines(log);
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).contains("duplicate-key (SQLSTATE 23505, operation sign-up, not retryable): first seen.");
        assertThat(lines.get(1)).contains("statement-timeout (SQLSTATE 57014, operation unnamed, not retryable): first seen.");
        assertThat(lines.get(2)).contains("duplicate-key (SQLSTATE 23505, operation sign-up, not retryable):"
                + " 3 since the last line 1m01s ago.");
    }

    @Test
    void errorsOfOperationsBeyondTheLimitShareTheTimersOtherTagAndSuccessesCountNothing(TestDatabase db)
            throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DataSource metered = QueryMetrics.of(registry).wrap(db.dataSource());

        captureStderr(() -> {
            try (Connection c = metered.getConnection(); Statement st = c.createStatement()) {
                for (int i = 0; i < 2 * QueryMetrics.MAX_OPERATIONS; i++) {
                    QueryOperation.call("op-" + i, () -> {
                        st.executeQuery("SELECT 1").close();
                        return null;
                    });
                }
                assertThat(registry.find(QueryMetrics.QUERY_ERRORS).counters())
                        .as("successful statements explain and count nothing").isEmpty();
                assertThatThrownBy(() -> QueryOperation.call("op-beyond-the-limit",
                        () -> st.executeQuery("SELECT * FROM no_such_table"))).isInstanceOf(SQLException.class);
            }
        });

        assertThat(registry.find(QueryMetrics.QUERY_ERRORS).tag("operation", "op-beyond-the-limit").counters()).isEmpty();
        assertThat(errors(registry, "schema-behind-code", "false", "other").count()).isEqualTo(1);
        assertThat(registry.get(QueryMetrics.QUERY_TIMER).tag("outcome", "error").tag("operation", "other").timer()
                .count()).isEqualTo(1);
    }

    private static Counter errors(MeterRegistry registry, String cause, String retryable, String operation) {
        return registry.get(QueryMetrics.QUERY_ERRORS).tag("cause", cause).tag("retryable", retryable)
                .tag("operation", operation).counter();
    }

    private static void duplicate(Connection c) {
        assertThatThrownBy(() -> execute(c, "INSERT INTO rl_customers VALUES ('bob@example.com')"))
                .isInstanceOf(SQLException.class)
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("23505"));
    }

    private static Object execute(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
        return null;
    }

    private static Object query(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
        }
        return null;
    }

    private static int pid(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** The WARN lines of the failed-statement log, in order. */
    private static List<String> warnLines(String log) {
        return log.lines().filter(l -> l.contains(LOG_PREFIX)).toList();
    }

    /** A scenario that may throw. */
    @FunctionalInterface
    private interface Scenario {
        void run() throws Exception;
    }

    /** Runs a scenario with System.err (where slf4j-simple writes, at WARN in these tests) captured. */
    private static String captureStderr(Scenario scenario) throws Exception {
        return io.ampora.dbguard.testing.Stderr.captureLogs(scenario::run);
    }
}
