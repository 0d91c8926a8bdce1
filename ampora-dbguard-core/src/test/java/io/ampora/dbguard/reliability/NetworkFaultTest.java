package io.ampora.dbguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.DbGuardVerificationException;
import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.FaultProxy;
import io.ampora.dbguard.testing.NamedTestCheck;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The guard between the driver and PostgreSQL on a network that breaks: a TCP {@link FaultProxy} blackholes,
 * resets, slows down or refuses, and every discovered check runs through it. Whatever the fault, report()
 * and verifyOrFail() come back within the deadline plus a small margin, name the fault, and leave no
 * thread behind once the fault is gone.
 */
@WithPostgres
class NetworkFaultTest {

    private static final Duration DEADLINE = Duration.ofSeconds(3);
    private static final Duration MARGIN = Duration.ofSeconds(2);

    private FaultProxy proxy;
    private TestDatabase db;

    @BeforeEach
    void startProxy(TestDatabase db) {
        this.db = db;
        this.proxy = FaultProxy.start(db.server().host(), db.server().port());
    }

    @AfterEach
    void stopProxy() {
        proxy.close();
    }

    private DbGuard.Builder guard(List<DatabaseCheck> checks) {
        return DbGuard.builder().jdbcUrl(proxy.jdbcUrl(db.name())).user(db.server().adminUser())
                .checks(checks).deadline(DEADLINE).checkTimeout(Duration.ofSeconds(1)).connectTimeout(Duration.ofSeconds(1));
    }

    private DbGuard.Builder guard() {
        return guard(DbGuard.discoverChecks());
    }

    @Test
    void blackholeIsReportedAsTimeoutWithinTheDeadline() {
        proxy.blackhole();
        DbGuard guard = guard().build();

        Report report = timed("report() under blackhole", guard::report);

        CheckResult connectivity = report.result("connectivity").orElseThrow();
        assertThat(connectivity.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(connectivity.findings().get(0).details()).containsEntry("cause", "TIMEOUT");
        assertThat(connectivity.summary()).contains("timed out");
        assertThatThrownBy(() -> timed("verifyOrFail() under blackhole", () -> {
            guard.verifyOrFail();
            return null;
        })).isInstanceOf(DbGuardVerificationException.class).hasMessageContaining("timed out");
    }

    @Test
    void refusedConnectionIsReportedAsRefused() {
        proxy.refuse();
        DbGuard guard = guard().build();

        Report report = timed("report() while refusing", guard::report);

        CheckResult connectivity = report.result("connectivity").orElseThrow();
        assertThat(connectivity.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(connectivity.findings().get(0).details()).containsEntry("cause", "CONNECTION_REFUSED");
        assertThatThrownBy(() -> timed("verifyOrFail() while refusing", () -> {
            guard.verifyOrFail();
            return null;
        })).isInstanceOf(DbGuardVerificationException.class).hasMessageContaining("nothing is listening");
    }

    @Test
    void connectionResetDuringLoginFailsConnectivityWithTheDriverMessage() {
        proxy.resetAfterBytes(10);
        DbGuard guard = guard().build();

        Report report = timed("report() with a reset during login", guard::report);

        CheckResult connectivity = report.result("connectivity").orElseThrow();
        System.out.println("reset during login: " + connectivity.findings());
        assertThat(connectivity.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(String.valueOf(connectivity.findings().get(0).details().get("driverMessage"))).isNotBlank();
        assertThat(report.checks()).allSatisfy(r -> assertThat(r.status()).isIn(CheckStatus.FAIL, CheckStatus.UNKNOWN,
                CheckStatus.SKIP));
    }

    @Test
    void connectionResetInTheMiddleOfACheckQueryMakesOnlyThatCheckUnknown() {
        DatabaseCheck victim = new TestCheck("reset-victim") {
            @Override
            public CheckResult run(CheckContext context) throws Exception {
                try (Statement st = context.connection().createStatement()) {
                    new Thread(() -> {
                        sleep(300);
                        proxy.resetAll();
                    }).start();
                    st.execute("SELECT pg_catalog.pg_sleep(0.9)");
                }
                return CheckResult.pass(this, "survived a reset?");
            }
        };
        DbGuard guard = guard(List.of(victim)).build();

        Report report = timed("report() with a reset mid-query", guard::report);

        CheckResult r = report.result("reset-victim").orElseThrow();
        assertThat(r.status()).isEqualTo(CheckStatus.UNKNOWN);
        assertThat(r.summary()).startsWith("Lost the connection while checking");

        Report after = timed("report() after the reset", guard().build()::report);
        assertThat(after.result("connectivity").orElseThrow().status()).isEqualTo(CheckStatus.PASS);
    }

    @Test
    void partitionInTheMiddleOfACheckIsCutOffAtItsBudget() {
        DatabaseCheck victim = new TestCheck("partition-victim") {
            @Override
            public CheckResult run(CheckContext context) throws Exception {
                try (Statement st = context.connection().createStatement()) {
                    proxy.blackhole();
                    st.execute("SELECT 1");
                }
                return CheckResult.pass(this, "answered through a partition?");
            }
        };
        List<DatabaseCheck> checks = new ArrayList<>(DbGuard.discoverChecks());
        checks.add(victim);

        Report report = timed("report() with a partition mid-check", guard(checks).build()::report);

        CheckResult r = report.result("partition-victim").orElseThrow();
        assertThat(r.status()).isEqualTo(CheckStatus.UNKNOWN);
        assertThat(r.summary()).containsAnyOf("cut off", "Lost the connection", "deadline");
    }

    @Test
    void latencyBelowTheBudgetStillPasses() {
        proxy.latency(20);
        DbGuard guard = guard().checkTimeout(Duration.ofSeconds(3)).deadline(Duration.ofSeconds(10)).build();

        Report report = guard.report();

        System.out.println("with 20 ms latency per packet: " + report.duration().toMillis() + " ms\n" + report.toText());
        assertThat(report.result("connectivity").orElseThrow().status()).isEqualTo(CheckStatus.PASS);
        assertThat(report.duration()).isGreaterThan(Duration.ofMillis(20));
        assertThat(report.checks()).noneSatisfy(r -> assertThat(r.summary())
                .containsAnyOf("cut off", "deadline", "statement_timeout", "Lost the connection"));
    }

    @ParameterizedTest(name = "url options ''{0}''")
    @ValueSource(strings = {"", "?sslmode=disable"})
    void repeatedReportsUnderBlackholeDoNotAccumulateThreads(String urlOptions) throws Exception {
        DbGuard guard = DbGuard.builder().jdbcUrl(proxy.jdbcUrl(db.name()) + urlOptions).user(db.server().adminUser())
                .deadline(DEADLINE).checkTimeout(Duration.ofSeconds(1)).connectTimeout(Duration.ofSeconds(1)).build();
        guard.report();
        int baseline = guardThreads().size();

        proxy.blackhole();
        for (int i = 0; i < 6; i++) {
            Report r = timed("report() #" + i + " under blackhole", guard::report);
            assertThat(r.result("connectivity").orElseThrow().status()).isEqualTo(CheckStatus.FAIL);
        }
        int during = guardThreads().size();
        proxy.pass();

        // The blackholed sockets stay open for good; only the driver's own timeouts (which the guard sets
        // from its budgets) can release the threads stuck reading them.
        Await.holds(Duration.ofSeconds(15), () -> guardThreads().size() <= baseline);
        List<String> now = guardThreads();
        System.out.println("guard/driver threads: baseline " + baseline + ", during blackhole " + during
                + ", after " + now);
        assertThat(now).as("guard and driver threads left after the blackhole is gone").hasSizeLessThanOrEqualTo(baseline);
        assertThat(guard.report().result("connectivity").orElseThrow().status()).isEqualTo(CheckStatus.PASS);
    }

    @Test
    void aGivenDataSourceWithoutTimeoutsStrandsAtMostOneThreadUnderBlackhole() throws Exception {
        // The guard cannot set timeouts on the application's own DataSource; it must not pile up threads on it.
        org.postgresql.ds.PGSimpleDataSource ds = new org.postgresql.ds.PGSimpleDataSource();
        ds.setURL(proxy.jdbcUrl(db.name()) + "?sslmode=disable");
        ds.setUser(db.server().adminUser());
        DbGuard guard = DbGuard.builder().dataSource(ds).deadline(DEADLINE).checkTimeout(Duration.ofSeconds(1))
                .connectTimeout(Duration.ofSeconds(1)).build();
        guard.report();
        int baseline = guardThreads().size();

        proxy.blackhole();
        for (int i = 0; i < 6; i++) {
            Report r = timed("report() #" + i + " on a DataSource under blackhole", guard::report);
            assertThat(r.result("connectivity").orElseThrow().findings().get(0).details()).containsEntry("cause", "TIMEOUT");
        }
        List<String> during = guardThreads();
        System.out.println("DataSource without timeouts: baseline " + baseline + ", during blackhole " + during);
        assertThat(during).as("one hanging connect, not one per report").hasSizeLessThanOrEqualTo(baseline + 1);
    }

    /** The runner's threads and pgjdbc's login threads; not the JVM's, the fixture's or the proxy's. */
    private static List<String> guardThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> n.startsWith("dbguard-") || n.startsWith("PostgreSQL JDBC"))
                .sorted()
                .toList();
    }

    private static <T> T timed(String what, Supplier<T> action) {
        long t0 = System.nanoTime();
        try {
            return action.get();
        } finally {
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            System.out.println(what + " took " + took.toMillis() + " ms");
            assertThat(took).as(what + " must return within deadline + margin").isLessThan(DEADLINE.plus(MARGIN));
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    abstract static class TestCheck extends NamedTestCheck {
        TestCheck(String id) {
            super(id, "a test-only check");
        }
    }
}
