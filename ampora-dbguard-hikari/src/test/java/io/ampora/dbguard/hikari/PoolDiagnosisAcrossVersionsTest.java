package io.ampora.dbguard.hikari;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The pool's SQL (pg_stat_activity of the holders, the server's limits with or without
 * {@code reserved_connections}, which PostgreSQL 16 added) on the oldest and newest supported versions and
 * on 15, the last one without that setting: exhaustion by slow queries is diagnosed with the query, a
 * connection left idle in a transaction is reported with its session state, and both pool checks run.
 */
class PoolDiagnosisAcrossVersionsTest {

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "15", "18"})
    void poolDiagnosisAndChecksWorkOnEverySupportedVersion(String major) throws Exception {
        Assumptions.assumeTrue(PostgresServers.embedded(), "needs the embedded servers to pick a version");
        PostgresServer server = PostgresServers.get(ServerSpec.defaults().onVersion(major));
        try (TestDatabase db = TestDatabase.create(server, PoolDiagnosisAcrossVersionsTest.class)) {
            assertThat(db.queryString("SHOW server_version_num")).startsWith(major);
            exhaustionBySlowQueriesNamesTheQuery(db);
            idleInTransactionLeakIsReportedWithItsSessionStateAndChecksRun(db);
        }
    }

    private static void exhaustionBySlowQueriesNamesTheQuery(TestDatabase db) throws Exception {
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 2, 700), PoolGuardConfig.defaults())) {
            List<Thread> sleepers = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Thread t = new Thread(() -> {
                    try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
                        st.execute("SELECT pg_sleep(30) /* versioned slow report */");
                    } catch (Exception e) {
                        // cancelled below
                    }
                });
                t.start();
                sleepers.add(t);
            }
            try {
                assertThat(Pools.await(Duration.ofSeconds(10), () -> count(db, "state = 'active' AND query LIKE"
                        + " '%versioned slow report%'") == 2)).isTrue();

                PoolExhaustedException e = catchThrowableOfType(PoolExhaustedException.class, pool::getConnection);

                assertThat(e.diagnosis().cause()).isEqualTo(ExhaustionCause.LONG_RUNNING_QUERIES);
                assertThat(e.diagnosis().evidence()).hasSize(2).allSatisfy(line -> assertThat(line)
                        .contains("SELECT pg_sleep(30) /* versioned slow report */"));
            } finally {
                db.execute("SELECT pg_cancel_backend(pid) FROM pg_stat_activity"
                        + " WHERE query LIKE '%versioned slow report%' AND pid <> pg_backend_pid()");
                for (Thread t : sleepers) {
                    t.join(10_000);
                }
            }
        }
    }

    private static void idleInTransactionLeakIsReportedWithItsSessionStateAndChecksRun(TestDatabase db) throws Exception {
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 4, 1000), PoolGuardConfig.custom()
                .leakThreshold(Duration.ofMillis(200)).sampleEvery(1).build())) {
            try (Connection c = pool.getConnection()) {
                c.setAutoCommit(false);
                try (Statement st = c.createStatement()) {
                    st.execute("SELECT 1 /* versioned holder */");
                }
                assertThat(Pools.await(Duration.ofSeconds(10), () -> !pool.leakReports().isEmpty())).isTrue();
                LeakReport report = pool.leakReports().get(0);
                assertThat(report.sessionState()).isEqualTo("idle in transaction");
                assertThat(report.query()).isEqualTo("SELECT 1 /* versioned holder */");

                Report checks = DbGuard.builder().dataSource(db.dataSource()).checks(pool.checks()).build().report();
                CheckResult saturation = checks.result("pool-saturation").orElseThrow();
                CheckResult budget = checks.result("pool-budget").orElseThrow();
                assertThat(saturation.status()).isEqualTo(CheckStatus.WARN);
                assertThat(budget.status()).as(budget.summary()).isEqualTo(CheckStatus.PASS);
                c.rollback();
            }
        }
    }

    private static long count(TestDatabase db, String where) {
        try {
            return Long.parseLong(db.queryString("SELECT count(*) FROM pg_stat_activity WHERE " + where
                    + " AND pid <> pg_backend_pid()"));
        } catch (Exception e) {
            return -1;
        }
    }
}
