package io.ampora.dbguard.hikari;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.FaultProxy;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The HikariCP wrapper on a network that breaks: a pool whose jdbcUrl goes through a TCP {@link FaultProxy},
 * borrowers looping on {@code SELECT pg_sleep(0.02)} while the proxy resets connections in the middle of
 * queries, then blackholes, then passes again. The wrapper must lose no lease record, report no false leak,
 * give every borrower a working connection or an exception with a message, and work again afterwards.
 */
@WithPostgres
class GuardedPoolUnderFaultTest {

    private static final int POOL_SIZE = 4;
    private static final int BORROWERS = 6;
    private static final Duration LEAK_THRESHOLD = Duration.ofSeconds(5);

    @Test
    void resetsAndBlackholeLoseNoLeaseReportNoFalseLeakAndThePoolRecovers(TestDatabase db) throws Exception {
        try (FaultProxy proxy = FaultProxy.start(db.server().host(), db.server().port());
             GuardedPool pool = GuardedPool.wrap(hikari(db, proxy),
                     PoolGuardConfig.custom().leakThreshold(LEAK_THRESHOLD).diagnosisTimeout(Duration.ofSeconds(1)).build())) {
            assertThat(selectOne(pool)).isEqualTo(1);

            Borrowers borrowers = new Borrowers(pool, BORROWERS, "SELECT 1 FROM pg_catalog.pg_sleep(0.02)", "fault-borrower").start();
            Await.until("borrowers running queries before any fault", Duration.ofSeconds(15), () -> borrowers.ok() >= 20);
            long okBeforeFault = borrowers.ok();

            // resets in the middle of queries: every live connection gets an RST every 150 ms for 1.5 s
            long resetsUntil = System.nanoTime() + Duration.ofMillis(1_500).toNanos();
            int resetRounds = 0;
            while (System.nanoTime() < resetsUntil) {
                proxy.resetAll();
                resetRounds++;
                Thread.sleep(150);
            }
            long okAfterResets = borrowers.ok();
            long errorsAfterResets = borrowers.clearErrors();

            // then a partition: live links stall, new connections are accepted and never answered; it lasts
            // until a borrow timeout has named the database unreachable (about 2 s on a quiet machine: the
            // driver's socket timeout, then HikariCP's connectionTimeout), not for a fixed time
            long unreachableBefore = unreachable(borrowers);
            proxy.blackhole();
            Await.until(() -> "a borrow timeout diagnosed DATABASE_UNREACHABLE during the blackhole; errors: "
                    + borrowers.errorKinds(), Duration.ofSeconds(30), () -> unreachable(borrowers) > unreachableBefore);
            long okDuringBlackholeEnd = borrowers.ok();
            long errorsAfterBlackhole = borrowers.clearErrors();

            proxy.pass();
            long passedAt = System.nanoTime();
            boolean recovered = Pools.await(Duration.ofSeconds(10), () -> borrowers.lastOkNanos() - passedAt > 0
                    && borrowers.ok() > okDuringBlackholeEnd + 20);
            long recoveredMillis = Duration.ofNanos(borrowers.lastOkNanos() - passedAt).toMillis();
            Thread.sleep(500);

            List<String> wedged = borrowers.stopAndJoin(Duration.ofSeconds(10));
            System.out.printf("pool under faults: ok %d before, %d after %d reset rounds (%d errors), %d at the end of the"
                            + " blackhole (%d errors), %d in all; errors %s; longest borrow+query %d ms; recovered %d ms after"
                            + " pass(); proxy links %d; hikari active %d idle %d total %d%n",
                    okBeforeFault, okAfterResets, resetRounds, errorsAfterResets, okDuringBlackholeEnd, errorsAfterBlackhole,
                    borrowers.ok(), borrowers.errorKinds(), borrowers.longestOperation().toMillis(), recoveredMillis,
                    proxy.liveConnections(), pool.hikari().getHikariPoolMXBean().getActiveConnections(),
                    pool.hikari().getHikariPoolMXBean().getIdleConnections(),
                    pool.hikari().getHikariPoolMXBean().getTotalConnections());

            borrowers.samples().forEach((kind, message) -> System.out.println("first " + kind + ": " + message));
            assertThat(wedged).as("borrower threads still running 10 s after being told to stop").isEmpty();
            assertThat(borrowers.unclear()).as("outcomes that are neither a connection nor an SQLException with a message")
                    .isEmpty();
            assertThat(okBeforeFault).as("queries before any fault").isPositive();
            assertThat(errorsAfterResets).as("the resets hit borrowers mid-query").isPositive();
            assertThat(errorsAfterBlackhole).as("the blackhole failed borrowers").isGreaterThan(errorsAfterResets);
            assertThat(recovered).as("borrowers work again after the proxy passes").isTrue();
            // what a borrow timeout said: nothing here leaks, nests or runs long (20 ms queries); the blackhole
            // (all connections stuck in the driver, a fresh one times out) is named as such. Its SQLState is
            // HikariCP's last connection failure: 08001 (a connect that timed out) or 08006 (a connection
            // reset or timed out while being set up, which timing under load decides): class 08 either way
            assertThat(borrowers.errorKinds().keySet()).filteredOn(k -> k.startsWith("PoolExhaustedException"))
                    .as("exhaustion diagnoses").allSatisfy(k -> assertThat(k).matches(
                            "PoolExhaustedException (" + ExhaustionCause.DATABASE_UNREACHABLE + " 08\\d{3}|"
                                    + ExhaustionCause.POOL_UNDERSIZED + " null)"))
                    .anyMatch(k -> k.startsWith(UNREACHABLE));

            assertThat(pool.leases()).as("lease records left once every borrower returned its connection").isEmpty();
            assertThat(Pools.await(Duration.ofSeconds(3),
                    () -> pool.hikari().getHikariPoolMXBean().getActiveConnections() == 0))
                    .as("HikariCP active connections back to 0").isTrue();
            assertThat(pool.leakReports()).as("leak reports (threshold %s, longer than any legitimate hold)", LEAK_THRESHOLD)
                    .isEmpty();
            assertThat(pool.unclosedLeaks()).isZero();
            assertThat(pool.leaksSeen()).isZero();
            assertThat(selectOne(pool)).as("the pool works after the fault").isEqualTo(1);
            assertThat(pool.leases()).isEmpty();
        }
    }

    private static final String UNREACHABLE = "PoolExhaustedException " + ExhaustionCause.DATABASE_UNREACHABLE + " 08";

    /** Borrow timeouts diagnosed as an unreachable database so far. */
    private static long unreachable(Borrowers borrowers) {
        return borrowers.errorKinds().entrySet().stream().filter(e -> e.getKey().startsWith(UNREACHABLE))
                .mapToLong(java.util.Map.Entry::getValue).sum();
    }

    private static int selectOne(GuardedPool pool) throws Exception {
        try (Connection c = pool.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** Failures fast: 1 s to get a connection, 500 ms to validate one, the driver's socket timeout 2 s. */
    private static HikariDataSource hikari(TestDatabase db, FaultProxy proxy) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(proxy.jdbcUrl(db.name()));
        c.setUsername(db.server().adminUser());
        c.setMaximumPoolSize(POOL_SIZE);
        c.setMinimumIdle(0);
        c.setConnectionTimeout(1_000);
        c.setValidationTimeout(500);
        c.setPoolName("fault-pool");
        c.addDataSourceProperty("socketTimeout", "2");
        c.addDataSourceProperty("connectTimeout", "1");
        c.addDataSourceProperty("ApplicationName", "guarded-fault-test");
        return new HikariDataSource(c);
    }
}
