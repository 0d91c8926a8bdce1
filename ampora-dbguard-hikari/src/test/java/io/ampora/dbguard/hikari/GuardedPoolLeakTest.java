package io.ampora.dbguard.hikari;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

@WithPostgres
class GuardedPoolLeakTest {

    private final List<LeakReport> events = new CopyOnWriteArrayList<>();

    private PoolGuardConfig.Builder config() {
        return PoolGuardConfig.custom().leakThreshold(Duration.ofMillis(300)).sampleEvery(1).listener(Pools.leaksInto(events));
    }

    private List<LeakReport> events(LeakReport.Kind kind) {
        return events.stream().filter(e -> e.kind() == kind).toList();
    }

    @Test
    void reportsConnectionHeldPastThresholdWithBorrowSiteHolderStackAndSessionState(TestDatabase db) throws Exception {
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 2, 1000), config().build())) {
            Connection c = pool.getConnection();
            int pid = c.unwrap(PGConnection.class).getBackendPID();
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("SELECT 1");
            }

            assertThat(Pools.await(Duration.ofSeconds(10), () -> !events(LeakReport.Kind.HELD_TOO_LONG).isEmpty())).isTrue();
            LeakReport report = events(LeakReport.Kind.HELD_TOO_LONG).get(0);
            assertThat(report.borrowSite()).isNotEmpty();
            assertThat(report.borrowSite().get(0).getMethodName())
                    .isEqualTo("reportsConnectionHeldPastThresholdWithBorrowSiteHolderStackAndSessionState");
            assertThat(report.borrowSite()).noneMatch(f -> f.getClassName().startsWith("com.zaxxer.hikari"));
            assertThat(report.backendPid()).isEqualTo(pid);
            assertThat(report.sessionState()).isEqualTo("idle in transaction");
            assertThat(report.query()).isEqualTo("SELECT 1");
            assertThat(report.holderStack()).isNotEmpty();
            assertThat(report.heldFor()).isGreaterThanOrEqualTo(Duration.ofMillis(300));
            assertThat(report.message()).contains("pid " + pid, "idle in transaction", "reportsConnectionHeldPast");
            assertThat(pool.leakReports()).contains(report);

            CheckResult saturation = DbGuard.builder().dataSource(db.dataSource()).checks(pool.checks()).build()
                    .report().result("pool-saturation").orElseThrow();
            assertThat(saturation.status()).isEqualTo(CheckStatus.WARN);
            assertThat(saturation.findings()).anySatisfy(f -> assertThat(f.details()).containsEntry("pid", pid));

            c.rollback();
            c.close();
            assertThat(Pools.await(Duration.ofSeconds(5), () -> !events(LeakReport.Kind.RETURNED).isEmpty())).isTrue();
            LeakReport returned = events(LeakReport.Kind.RETURNED).get(0);
            assertThat(returned.leaseId()).isEqualTo(report.leaseId());
            assertThat(returned.heldFor()).isGreaterThan(report.heldFor());
            assertThat(events(LeakReport.Kind.HELD_TOO_LONG)).hasSize(1);
        }
    }

    @Test
    void reportsConnectionThatBecameUnreachableWithoutClose(TestDatabase db) throws Exception {
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 2, 1000),
                config().leakThreshold(Duration.ofMinutes(5)).build())) {
            borrowAndForget(pool);

            for (int i = 0; i < 50 && events(LeakReport.Kind.UNCLOSED).isEmpty(); i++) {
                System.gc();
                Thread.sleep(100);
            }
            assertThat(events(LeakReport.Kind.UNCLOSED)).hasSize(1);
            LeakReport leak = events(LeakReport.Kind.UNCLOSED).get(0);
            assertThat(leak.borrowSite().get(0).getMethodName()).isEqualTo("borrowAndForget");
            assertThat(leak.borrowSite().get(1).getMethodName()).isEqualTo("reportsConnectionThatBecameUnreachableWithoutClose");
            assertThat(leak.sessionState()).isEqualTo("idle");
            assertThat(leak.message()).contains("became unreachable without close()").contains("never returns to the pool");
            assertThat(leak.reclaimed()).isFalse();
            assertThat(pool.leases()).isEmpty();
            assertThat(pool.leaksSeen()).isEqualTo(1);

            CheckResult saturation = DbGuard.builder().dataSource(db.dataSource()).checks(pool.checks()).build()
                    .report().result("pool-saturation").orElseThrow();
            assertThat(saturation.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(saturation.summary()).contains("1 never closed");
        }
    }

    private static void borrowAndForget(GuardedPool pool) throws Exception {
        Connection c = pool.getConnection();
        try (Statement st = c.createStatement()) {
            st.execute("SELECT 1");
        }
    }

    @Test
    void connectionClosedThroughStatementGetConnectionIsNotALeak(TestDatabase db) throws Exception {
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 2, 1000), config().build())) {
            closeThroughStatement(pool);
            for (int i = 0; i < 10; i++) {
                System.gc();
                Thread.sleep(100);
            }
            assertThat(Pools.await(Duration.ofSeconds(3), () -> pool.leases().isEmpty())).isTrue();
            Thread.sleep(500);
            assertThat(events).isEmpty();
            assertThat(pool.hikari().getHikariPoolMXBean().getActiveConnections()).isZero();
        }
    }

    private static void closeThroughStatement(GuardedPool pool) throws Exception {
        Connection c = pool.getConnection();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
            rs.next();
            rs.getStatement().getConnection().close();
        }
        assertThat(c.isClosed()).isTrue();
        c.close();
    }

    @Test
    void closeIsIdempotentAndUnwrapReachesWrapperHikariProxyAndDriver(TestDatabase db) throws Exception {
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 2, 1000), config().build())) {
            Connection c = pool.getConnection();
            assertThat(c.isWrapperFor(Connection.class)).isTrue();
            assertThat(c.isWrapperFor(com.zaxxer.hikari.pool.HikariProxyConnection.class)).isTrue();
            assertThat(c.isWrapperFor(PGConnection.class)).isTrue();
            assertThat(c.unwrap(com.zaxxer.hikari.pool.HikariProxyConnection.class)).isNotNull();
            assertThat(c.unwrap(org.postgresql.jdbc.PgConnection.class).getBackendPID()).isPositive();
            assertThat(c.unwrap(io.ampora.dbguard.internal.jdbc.LayeredConnection.class)).isSameAs(c);
            assertThat(pool.isWrapperFor(com.zaxxer.hikari.HikariDataSource.class)).isTrue();
            assertThat(pool.unwrap(com.zaxxer.hikari.HikariDataSource.class)).isSameAs(pool.hikari());
            assertThat(pool.unwrap(GuardedPool.class)).isSameAs(pool);
            assertThat(pool.leases()).hasSize(1);

            c.close();
            c.close();
            assertThat(c.isClosed()).isTrue();
            assertThat(pool.leases()).isEmpty();
            assertThat(pool.hikari().getHikariPoolMXBean().getActiveConnections()).isZero();
            assertThat(events).isEmpty();
        }
    }

    @Test
    void concurrentBorrowersLeaveNoFalseLeakReportsAndNoLostConnections(TestDatabase db) throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 8, 5000),
                config().leakThreshold(Duration.ofSeconds(5)).sampleEvery(16).meterRegistry(registry).build())) {
            long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            List<Throwable> errors = new CopyOnWriteArrayList<>();
            java.util.concurrent.atomic.AtomicLong borrows = new java.util.concurrent.atomic.AtomicLong();
            Thread[] threads = new Thread[16];
            for (int t = 0; t < threads.length; t++) {
                threads[t] = new Thread(() -> {
                    while (System.nanoTime() < end) {
                        try (Connection c = pool.getConnection(); Statement st = c.createStatement();
                             ResultSet rs = st.executeQuery("SELECT 1")) {
                            rs.next();
                            borrows.incrementAndGet();
                        } catch (Exception e) {
                            errors.add(e);
                        }
                    }
                });
                threads[t].start();
            }
            for (Thread t : threads) {
                t.join();
            }
            assertThat(errors).isEmpty();
            assertThat(borrows.get()).isGreaterThan(100);
            assertThat(pool.leases()).isEmpty();
            assertThat(Pools.await(Duration.ofSeconds(2),
                    () -> pool.hikari().getHikariPoolMXBean().getActiveConnections() == 0)).isTrue();
            Thread.sleep(2500);
            assertThat(events).isEmpty();
            assertThat(pool.leaksSeen()).isZero();
            assertThat(registry.get("ampora.dbguard.pool.hold").timer().count()).isEqualTo(borrows.get());
            assertThat(registry.get("ampora.dbguard.pool.leaks").tag("kind", "held_too_long").counter().count()).isZero();
        }
    }

    @Test
    void saturationPassesOnAnIdlePool(TestDatabase db) throws Exception {
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 4, 1000), config().build())) {
            try (Connection c = pool.getConnection()) {
                c.isValid(1);
            }
            Report report = DbGuard.builder().dataSource(db.dataSource()).checks(pool.checks()).build().report();
            CheckResult saturation = report.result("pool-saturation").orElseThrow();
            assertThat(saturation.status()).isEqualTo(CheckStatus.PASS);
            assertThat(saturation.summary()).contains("0 of 4 connections in use");
            CheckResult budget = report.result("pool-budget").orElseThrow();
            assertThat(budget.status()).isEqualTo(CheckStatus.PASS);
            assertThat(budget.summary()).contains("1 instance x 4 = 4");
        }
    }

    @Test
    void capturesEveryBorrowSiteOnceThePoolRunsHot(TestDatabase db) throws Exception {
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 2, 1000), PoolGuardConfig.custom()
                .sampleEvery(Integer.MAX_VALUE).hotPercent(50).leakThreshold(Duration.ofSeconds(1)).build());
             Connection cold = pool.getConnection()) {
            assertThat(pool.leases()).singleElement().satisfies(l -> assertThat(l.borrowSite()).isEmpty());
            Thread.sleep(600); // the tracker sees 1 of 2 (50%) in use on its next scan (every 250ms)

            try (Connection hot = pool.getConnection()) {
                assertThat(pool.leases()).hasSize(2);
                assertThat(pool.leases().get(1).borrowSite().get(0).getMethodName())
                        .isEqualTo("capturesEveryBorrowSiteOnceThePoolRunsHot");
            }
        }
    }
}
