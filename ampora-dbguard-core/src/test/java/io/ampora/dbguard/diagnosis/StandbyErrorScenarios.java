package io.ampora.dbguard.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.StreamingReplica;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.postgresql.util.PSQLException;

/**
 * The errors a service meets when its statements run on a hot standby, reproduced on a real streaming replica of
 * the version a subclass names: a write (read-only), a query cancelled by replay and an idle transaction ended
 * by replay (both "conflict with recovery", SQLSTATE 40001 like a serialization failure).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class StandbyErrorScenarios {

    /** @return the major version of the pair */
    abstract String version();

    private static final Duration WITHIN = Duration.ofSeconds(30);

    private StreamingReplica pair;
    private final ExecutorService background = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "standby-reader");
        t.setDaemon(true);
        return t;
    });

    @BeforeAll
    void startReplica() throws Exception {
        pair = StreamingReplica.start(version());
        pair.primary().adminExecute("CREATE TABLE \"Report Rows\" (id int, body text)");
        pair.primary().adminExecute("INSERT INTO \"Report Rows\" SELECT g, 'row ' || g FROM generate_series(1, 100) g");
        pair.awaitReplayed(Duration.ofSeconds(10));
        // replay cancels a conflicting standby query after 100ms instead of 30s
        pair.standby().adminExecute("ALTER SYSTEM SET max_standby_streaming_delay = '100ms'");
        pair.standby().adminExecute("SELECT pg_reload_conf()");
        Await.until("max_standby_streaming_delay 100ms on the standby", Duration.ofSeconds(10),
                () -> "100ms".equals(StreamingReplica.queryOne(pair.standby(), "SHOW max_standby_streaming_delay")));
    }

    @AfterAll
    void stopReplica() {
        background.shutdownNow();
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void explainsAWriteOnTheStandbyAsAReadOnlyTransactionPointingAtConnectivity() throws Exception {
        try (Connection app = pair.standby().adminDataSource("postgres").getConnection(); Statement st = app.createStatement()) {
            SQLException e = thrown(() -> st.executeUpdate("INSERT INTO \"Report Rows\" VALUES (101, 'new')"));

            SqlErrorDiagnosis d = explained(e, SqlErrorCause.READ_ONLY_TRANSACTION, "25006");
            assertThat(d.message()).isEqualTo("cannot execute INSERT in a read-only transaction");
            assertThat(d.relatedCheck()).contains("connectivity");
            assertThat(d.runbookSection()).isEqualTo(RunbookSection.CANNOT_CONNECT);
        }
    }

    @Test
    void explainsAQueryCancelledByReplayAsARecoveryConflictNotASerializationFailure() throws Exception {
        try (Connection reader = pair.standby().adminDataSource("postgres").getConnection()) {
            int pid = pid(reader);
            Future<?> report = background.submit(() -> {
                try (Statement st = reader.createStatement();
                     ResultSet rs = st.executeQuery("SELECT count(*) FROM \"Report Rows\", pg_catalog.pg_sleep(60)")) {
                    rs.next();
                }
                return null;
            });
            Await.until("the standby report to run", WITHIN, () -> "active".equals(StreamingReplica.queryOne(
                    pair.standby(), "SELECT state FROM pg_catalog.pg_stat_activity WHERE pid = " + pid)));
            pair.primary().adminExecute("TRUNCATE \"Report Rows\"");

            SQLException e = thrownBy(report);

            SqlErrorDiagnosis d = explained(e, SqlErrorCause.RECOVERY_CONFLICT, "40001");
            assertThat(d.message()).isEqualTo("canceling statement due to conflict with recovery");
            assertThat(d.detail()).isEqualTo("User was holding a relation lock for too long.");
            assertThat(d.relatedCheck()).contains("replica-conflicts");
            assertThat(d.runbookSection()).isEqualTo(RunbookSection.REPLICA_LAG);
            assertThat(d.retryable()).isTrue();
        } finally {
            refill();
        }
    }

    @Test
    void explainsAnIdleStandbyTransactionEndedByReplayAsARecoveryConflict() throws Exception {
        try (Connection reader = pair.standby().adminDataSource("postgres").getConnection()) {
            int pid = pid(reader);
            reader.setAutoCommit(false);
            try (Statement st = reader.createStatement()) {
                st.executeQuery("SELECT count(*) FROM \"Report Rows\"").close();
            }
            pair.primary().adminExecute("TRUNCATE \"Report Rows\"");
            Await.until("replay to end the idle standby transaction", WITHIN, () -> "0".equals(StreamingReplica.queryOne(
                    pair.standby(), "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE pid = " + pid)));

            SQLException e = thrown(() -> {
                try (Statement st = reader.createStatement()) {
                    st.executeQuery("SELECT 1").close();
                }
            });

            SqlErrorDiagnosis d = explained(e, SqlErrorCause.RECOVERY_CONFLICT, "40001");
            assertThat(d.message()).isEqualTo("terminating connection due to conflict with recovery");
            assertThat(d.meaning()).contains("ended the session");
            assertThat(d.fix()).contains("on a new connection");
        } finally {
            refill();
        }
    }

    private void refill() throws Exception {
        pair.primary().adminExecute("INSERT INTO \"Report Rows\" SELECT g, 'row ' || g FROM generate_series(1, 100) g");
        pair.awaitReplayed(Duration.ofSeconds(10));
    }

    private static SqlErrorDiagnosis explained(SQLException e, SqlErrorCause cause, String sqlState) {
        assertThat((Throwable) e).as("pgjdbc's exception").isInstanceOf(PSQLException.class);
        assertThat(e.getSQLState()).as("what PostgreSQL said: " + e.getMessage()).isEqualTo(sqlState);
        SqlErrorDiagnosis d = SqlErrors.explain(e);
        assertThat(d.cause()).as(d.toText()).isEqualTo(cause);
        assertThat(d.sqlState()).isEqualTo(sqlState);
        return d;
    }

    private static SQLException thrown(org.assertj.core.api.ThrowableAssert.ThrowingCallable statement) {
        SQLException e = org.assertj.core.api.Assertions.catchThrowableOfType(SQLException.class, statement);
        assertThat((Throwable) e).as("the statement should have failed").isNotNull();
        return e;
    }

    private static SQLException thrownBy(Future<?> statement) throws Exception {
        try {
            statement.get(WITHIN.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SQLException sql) {
                return sql;
            }
            throw new AssertionError("the standby statement failed otherwise", e.getCause());
        }
        throw new AssertionError("the standby statement was not cancelled");
    }

    private static int pid(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
