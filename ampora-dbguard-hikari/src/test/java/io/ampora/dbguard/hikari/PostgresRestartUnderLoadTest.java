package io.ampora.dbguard.hikari;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.monitor.DbGuardMonitor;
import io.ampora.dbguard.monitor.MonitorConfig;
import io.ampora.dbguard.testing.EmbeddedServer;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL itself goes away and comes back while an application runs: eight threads borrow from a
 * {@link GuardedPool} and a {@link DbGuardMonitor} watches the same database when the server is stopped
 * for about two seconds and started again on the same port and data directory. Every borrower gets a working
 * connection or an exception with a message, none stays wedged, the monitor goes DOWN and comes back UP by
 * itself, and threads and sessions return to their baseline. A dedicated server (its own max_connections)
 * is stopped, never the shared one.
 */
@WithPostgres(settings = "max_connections=53")
class PostgresRestartUnderLoadTest {

    private static final int POOL_SIZE = 8;
    private static final int BORROWERS = 8;
    private static final String APP = "restart-under-load";

    @Test
    void restartUnderLoadFailsBorrowersClearlyAndEverythingComesBackBySelf(TestDatabase db) throws Exception {
        assumeTrue(db.server() instanceof EmbeddedServer, "stopping the server needs the embedded PostgreSQL");
        EmbeddedServer server = (EmbeddedServer) db.server();
        db.execute("CREATE TABLE survives_restart(id int); INSERT INTO survives_restart VALUES (42)");

        DbGuard guard = DbGuard.builder().jdbcUrl(db.jdbcUrl()).user(db.server().adminUser())
                .connectTimeout(Duration.ofSeconds(1)).checkTimeout(Duration.ofSeconds(1)).deadline(Duration.ofSeconds(3))
                .applicationName(APP + "-guard").build();
        Queue<String> connectivity = new ConcurrentLinkedQueue<>();
        boolean paused = false;
        try (GuardedPool pool = GuardedPool.wrap(hikari(db), PoolGuardConfig.custom().leakThreshold(Duration.ofSeconds(5))
                .diagnosisTimeout(Duration.ofSeconds(1)).build());
             DbGuardMonitor monitor = guard.monitor(MonitorConfig.builder().defaultInterval(Duration.ofMillis(500)).build())) {
            monitor.addListener(change -> {
                if (change.checkId().equals("connectivity")) {
                    connectivity.add(change.status() + (change.status() == CheckStatus.FAIL
                            ? " " + change.current().findings().get(0).details().get("cause") : ""));
                }
            });
            assertThat(Pools.await(Duration.ofSeconds(15), monitor::ready)).as("monitor UP before the restart").isTrue();
            warmUp(pool);
            int threadBaseline = leastThreadCount();
            List<String> baselineNames = threadNames();

            Borrowers borrowers = new Borrowers(pool, BORROWERS, "SELECT 1 FROM pg_catalog.pg_sleep(0.01)", "restart-borrower")
                    .start();
            Thread.sleep(1_000);
            long okBefore = borrowers.ok();

            long t0 = System.nanoTime();
            server.pause();
            paused = true;
            long stopMillis = millisSince(t0);
            boolean down = Pools.await(Duration.ofSeconds(5), () -> !monitor.ready());
            long downMillis = millisSince(t0);
            long okWhileStopped = borrowers.ok();
            Thread.sleep(Math.max(0, 2_000 - downMillis));
            long errorsWhileStopped = borrowers.clearErrors();

            long t1 = System.nanoTime();
            server.restart();
            paused = false;
            long startMillis = millisSince(t1);
            boolean up = Pools.await(Duration.ofSeconds(15), monitor::ready);
            long upMillis = millisSince(t1);
            long okAtUp = borrowers.ok();
            boolean poolBack = Pools.await(Duration.ofSeconds(10), () -> borrowers.ok() > okAtUp + 50);
            long poolBackMillis = millisSince(t1);

            List<String> wedged = borrowers.stopAndJoin(Duration.ofSeconds(10));
            long stoppedAt = System.nanoTime();
            boolean activeZero = Pools.await(Duration.ofSeconds(5),
                    () -> pool.hikari().getHikariPoolMXBean().getActiveConnections() == 0);
            int sessions = Integer.MAX_VALUE;
            long sessionsUntil = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < sessionsUntil && (sessions = poolSessions(db)) > POOL_SIZE) {
                Thread.sleep(100);
            }
            // HikariCP's connection-closer/adder threads end 5 s after their last task (allowCoreThreadTimeOut)
            int threadsAfter = awaitThreadsAtMost(threadBaseline, Duration.ofSeconds(12));
            System.out.printf("restart under load: ok %d before, %d when stopped; pause() took %d ms, monitor DOWN %d ms"
                            + " after the stop began; %d errors while stopped; restart() took %d ms, monitor UP %d ms and"
                            + " borrowers working %d ms after it began; ok %d in all; errors %s; longest borrow+query %d ms;"
                            + " connectivity changes %s; threads baseline %d, after %d (%d ms after the borrowers stopped);"
                            + " pool sessions %d; hikari active %d total %d%n",
                    okBefore, okWhileStopped, stopMillis, downMillis, errorsWhileStopped, startMillis, upMillis, poolBackMillis,
                    borrowers.ok(), borrowers.errorKinds(), borrowers.longestOperation().toMillis(), connectivity,
                    threadBaseline, threadsAfter, millisSince(stoppedAt), sessions,
                    pool.hikari().getHikariPoolMXBean().getActiveConnections(),
                    pool.hikari().getHikariPoolMXBean().getTotalConnections());
            List<String> extra = new java.util.ArrayList<>(threadNames());
            baselineNames.forEach(extra::remove);
            System.out.println("threads beyond the baseline's: " + extra);
            borrowers.samples().forEach((kind, message) -> System.out.println("first " + kind + ": " + message));

            assertThat(okBefore).as("borrowers worked before the stop").isPositive();
            assertThat(down).as("monitor DOWN within 5 s of the stop").isTrue();
            assertThat(errorsWhileStopped).as("borrowers failed while the server was stopped").isPositive();
            assertThat(up).as("monitor UP again by itself within 15 s of the restart").isTrue();
            assertThat(poolBack).as("the pool lends working connections again").isTrue();
            assertThat(connectivity.stream().map(s -> s.split(" ")[0]).toList()).as("connectivity changes %s", connectivity)
                    .containsSubsequence("PASS", "FAIL", "PASS");
            assertThat(connectivity).anySatisfy(s -> assertThat(s).isIn("FAIL CONNECTION_REFUSED", "FAIL SERVER_STARTING_OR_RECOVERING"));
            assertThat(wedged).as("borrower threads still running 10 s after being told to stop").isEmpty();
            assertThat(borrowers.unclear()).as("outcomes neither a connection nor an SQLException with a message").isEmpty();
            assertThat(borrowers.errorKinds().keySet()).filteredOn(k -> k.startsWith("PoolExhaustedException"))
                    .allSatisfy(k -> assertThat(k).isEqualTo("PoolExhaustedException " + ExhaustionCause.DATABASE_UNREACHABLE + " 08001"));
            assertThat(pool.leases()).as("lease records left").isEmpty();
            assertThat(pool.leakReports()).as("leak reports (threshold 5 s)").isEmpty();
            assertThat(activeZero).as("HikariCP active connections back to 0").isTrue();
            assertThat(sessions).as("sessions with application_name %s", APP).isLessThanOrEqualTo(POOL_SIZE);
            assertThat(threadsAfter).as("JVM threads back near the baseline %d (tolerance: one transient connect)",
                    threadBaseline).isLessThanOrEqualTo(threadBaseline + 1);
            assertThat(db.queryString("SELECT id FROM survives_restart")).as("data kept across pause()/restart()")
                    .isEqualTo("42");
        } finally {
            if (paused) {
                server.restart();
            }
        }
    }

    /** Borrows every connection once at the same time, so the baseline includes a full pool. */
    private static void warmUp(GuardedPool pool) throws Exception {
        Connection[] held = new Connection[POOL_SIZE];
        for (int i = 0; i < POOL_SIZE; i++) {
            held[i] = pool.getConnection();
        }
        for (Connection c : held) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
                rs.next();
            }
            c.close();
        }
    }

    private static int poolSessions(TestDatabase db) throws Exception {
        return Integer.parseInt(db.queryString("SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE application_name = '"
                + APP + "'"));
    }

    /**
     * The JVM's threads but the JDK's "process reaper"s, which the fixture's pg_ctl calls start (they idle
     * for a minute), not the application under test.
     */
    private static List<String> threadNames() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> !n.startsWith("process reaper")).sorted().toList();
    }

    private static int threadCount() {
        return threadNames().size();
    }

    /** The least count over a second: a healthy monitor run's connect briefly has a pgjdbc thread of its own. */
    private static int leastThreadCount() throws InterruptedException {
        int least = Integer.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            least = Math.min(least, threadCount());
            Thread.sleep(100);
        }
        return least;
    }

    private static int awaitThreadsAtMost(int bound, Duration within) throws InterruptedException {
        long until = System.nanoTime() + within.toNanos();
        int now = threadCount();
        while (now > bound && System.nanoTime() < until) {
            Thread.sleep(100);
            now = threadCount();
        }
        return now;
    }

    private static long millisSince(long t0) {
        return Duration.ofNanos(System.nanoTime() - t0).toMillis();
    }

    /** Failures fast: 1 s to get a connection, 500 ms to validate one, the driver's socket timeout 2 s. */
    private static HikariDataSource hikari(TestDatabase db) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(db.jdbcUrl());
        c.setUsername(db.server().adminUser());
        c.setMaximumPoolSize(POOL_SIZE);
        c.setMinimumIdle(0);
        c.setConnectionTimeout(1_000);
        c.setValidationTimeout(500);
        c.setPoolName("restart-pool");
        c.addDataSourceProperty("socketTimeout", "2");
        c.addDataSourceProperty("connectTimeout", "1");
        c.addDataSourceProperty("ApplicationName", APP);
        return new HikariDataSource(c);
    }
}
