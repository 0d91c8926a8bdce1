package io.ampora.dbguard.hikari;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The server ends idle sessions ({@code idle_session_timeout} set for the application's role) under a pool that keeps
 * them: reproduced for real (the pooled session is gone, the next borrow gets another backend), and
 * {@code pool-idle-timeout} says so with the fix; a keepalive under the timeout passes.
 */
@WithPostgres
class PoolIdleTimeoutTest {

    private static final String SECRET = "idle-pw";

    @Test
    void theServerEndingIdlePooledSessionsIsReportedWithTheKeepaliveFix(TestDatabase db) throws Exception {
        db.createRole("idle_app", SECRET, "");
        db.execute("ALTER ROLE idle_app SET idle_session_timeout = '1s'");
        try (GuardedPool pool = GuardedPool.wrap(hikari(db, 0))) {
            int first = pid(pool);
            int second = Await.value("the server to end the idle pooled session", Duration.ofSeconds(15), () -> {
                Thread.sleep(1_200);
                return pid(pool);
            }, pid -> pid != first);
            assertThat(db.queryString("SELECT count(*) FROM pg_stat_activity WHERE pid = " + first))
                    .as("the first session is gone").isEqualTo("0");
            assertThat(second).isNotEqualTo(first);

            CheckResult result = run(pool);

            assertThat(result.status()).isEqualTo(CheckStatus.WARN);
            assertThat(result.summary()).contains("the server ends idle sessions after 1.0s");
            assertThat(result.findings()).singleElement().satisfies(f -> {
                assertThat(f.details()).containsEntry("idleSessionTimeout", "1.0s").containsEntry("source", "user")
                        .containsEntry("keepaliveTime", "0ms");
                assertThat(f.message()).contains("HikariCP finds them closed at the next borrow");
            });
            assertThat(result.remediation()).startsWith("HikariCP's keepaliveTime cannot go below 30s")
                    .contains("ALTER ROLE idle_app SET idle_session_timeout = 0;");
        } finally {
            db.execute("ALTER ROLE idle_app RESET idle_session_timeout");
        }
    }

    @Test
    void aKeepaliveUnderTheServersTimeoutPassesAndOneOverItNamesTheKeepaliveToSet(TestDatabase db) throws Exception {
        db.createRole("idle_kept", SECRET, "");
        db.execute("ALTER ROLE idle_kept SET idle_session_timeout = '2min'");
        try (GuardedPool kept = GuardedPool.wrap(hikari(db, 30_000));
             GuardedPool slow = GuardedPool.wrap(hikari(db, 180_000))) {
            CheckResult ok = run(kept);
            assertThat(ok.status()).isEqualTo(CheckStatus.PASS);
            assertThat(ok.summary()).contains("quiet for at most 30s (keepaliveTime 30s), under the server's"
                    + " idle_session_timeout of 2m00s");

            CheckResult late = run(slow);
            assertThat(late.status()).isEqualTo(CheckStatus.WARN);
            assertThat(late.remediation()).startsWith("Set HikariCP's keepaliveTime below it, e.g. 1m00s"
                    + " (spring.datasource.hikari.keepalive-time=60000)");
        } finally {
            db.execute("ALTER ROLE idle_kept RESET idle_session_timeout");
        }
    }

    @Test
    void skipsOnPostgres13WhichHasNoIdleSessionTimeout() throws Exception {
        try (TestDatabase db = TestDatabase.create(PostgresServers.get(new ServerSpec("13", Map.of(), false)),
                PoolIdleTimeoutTest.class);
             GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 2, 1000))) {
            CheckResult result = run(pool);

            assertThat(result.status()).isEqualTo(CheckStatus.SKIP);
            assertThat(result.summary()).contains("PostgreSQL 14 added it");
        }
    }

    private static HikariDataSource hikari(TestDatabase db, long keepaliveMillis) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(db.jdbcUrl());
        c.setUsername(keepaliveMillis == 0 ? "idle_app" : "idle_kept");
        c.setPassword(SECRET);
        c.setMaximumPoolSize(2);
        c.setMinimumIdle(1);
        c.setKeepaliveTime(keepaliveMillis);
        c.setConnectionTimeout(2_000);
        return new HikariDataSource(c);
    }

    private static CheckResult run(GuardedPool pool) {
        return DbGuard.builder().dataSource(pool).checks(pool.checks()).build().report()
                .result("pool-idle-timeout").orElseThrow();
    }

    private static int pid(GuardedPool pool) throws SQLException {
        try (Connection c = pool.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
