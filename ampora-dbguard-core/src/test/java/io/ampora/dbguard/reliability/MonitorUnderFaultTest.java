package io.ampora.dbguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.monitor.DbGuardMonitor;
import io.ampora.dbguard.monitor.MonitorConfig;
import io.ampora.dbguard.monitor.ProbeResult;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.FaultProxy;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The background monitor on a network that breaks: the guard connects through a TCP {@link FaultProxy}
 * with short budgets. Under blackhole and refuse, readiness turns DOWN with the right connectivity cause
 * within interval + deadline + margin; when the proxy passes again the same monitor comes back UP by
 * itself, and the threads the outage started end once the driver's timeouts expire.
 */
@WithPostgres
class MonitorUnderFaultTest {

    private static final Duration INTERVAL = Duration.ofMillis(500);
    private static final Duration DEADLINE = Duration.ofSeconds(3);
    /** Shared 2-core CI machine: the margin covers scheduling, not the fault. */
    private static final Duration MARGIN = Duration.ofSeconds(2);
    private static final Duration WITHIN = INTERVAL.plus(DEADLINE).plus(MARGIN);

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

    private DbGuardMonitor monitor() {
        DbGuard guard = DbGuard.builder().jdbcUrl(proxy.jdbcUrl(db.name())).user(db.server().adminUser())
                .deadline(DEADLINE).checkTimeout(Duration.ofSeconds(1)).connectTimeout(Duration.ofSeconds(1))
                .applicationName("monitor-under-fault").build();
        return guard.monitor(MonitorConfig.builder().defaultInterval(INTERVAL).build());
    }

    @Test
    void blackholeTurnsReadinessDownWithTimeoutAndTheMonitorRecoversWithoutRestart() throws Exception {
        try (DbGuardMonitor monitor = monitor()) {
            awaitReady(monitor, true, Duration.ofSeconds(15), "UP before the fault");
            int baseline = settledThreadCount();
            int jvmBaseline = leastJvmThreads();

            proxy.blackhole();
            long t0 = System.nanoTime();
            awaitReady(monitor, false, WITHIN, "DOWN under blackhole");
            long down = millisSince(t0);
            CheckResult connectivity = connectivity(monitor);
            assertThat(connectivity.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(connectivity.findings().get(0).details()).containsEntry("cause", "TIMEOUT");
            assertThat(connectivity.summary()).contains("timed out");
            ProbeResult readiness = monitor.probe(Probe.READINESS);
            assertThat(readiness.down()).contains("connectivity");
            assertThat(readiness.reason()).contains("connectivity FAIL");
            assertThat(monitor.probe(Probe.LIVENESS).up()).as("liveness never depends on the database").isTrue();

            // stay in the outage for a few monitor runs: every one of them strands a blackholed socket
            long runsAtDown = monitor.runs();
            await(Duration.ofSeconds(10), () -> monitor.runs() >= runsAtDown + 3, "three more runs under blackhole");
            assertThat(monitor.ready()).isFalse();
            int during = guardThreads().size();
            int jvmDuring = jvmThreadsButProxy();

            proxy.pass();
            long t1 = System.nanoTime();
            awaitReady(monitor, true, WITHIN, "UP again after the blackhole");
            long up = millisSince(t1);
            assertThat(connectivity(monitor).status()).isEqualTo(CheckStatus.PASS);

            List<String> after = awaitThreadsBackTo(baseline);
            // a monitor run may be starting a check thread or a driver connect right now: wait for the count
            int[] jvmNow = {jvmThreadsButProxy()};
            Await.holds(Duration.ofSeconds(10), () -> (jvmNow[0] = jvmThreadsButProxy()) <= jvmBaseline + 1);
            int jvmAfter = jvmNow[0];
            System.out.printf("monitor under blackhole: DOWN after %d ms, UP %d ms after pass(); guard/driver threads"
                    + " baseline %d, during %d, after %s; JVM threads (proxy's left out) baseline %d, during %d, after %d%n",
                    down, up, baseline, during, after, jvmBaseline, jvmDuring, jvmAfter);
            assertThat(after).as("guard and driver threads left after the blackhole").hasSizeLessThanOrEqualTo(baseline);
            assertThat(jvmAfter).as("JVM threads after the blackhole (tolerance: one transient connect): %s",
                            jvmThreadNames())
                    .isLessThanOrEqualTo(jvmBaseline + 1);
        }
    }

    @Test
    void refusedConnectionsTurnReadinessDownWithConnectionRefusedAndTheMonitorRecovers() throws Exception {
        try (DbGuardMonitor monitor = monitor()) {
            awaitReady(monitor, true, Duration.ofSeconds(15), "UP before the fault");
            int baseline = settledThreadCount();

            proxy.refuse();
            long t0 = System.nanoTime();
            awaitReady(monitor, false, WITHIN, "DOWN while refused");
            long down = millisSince(t0);
            // A run already connecting when the proxy stops sees its connection dropped (CONNECTION_LOST);
            // the next run finds nothing listening.
            Await.holds(WITHIN, () -> "CONNECTION_REFUSED".equals(causeOf(connectivity(monitor))));
            CheckResult connectivity = connectivity(monitor);
            assertThat(connectivity.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(connectivity.findings().get(0).details()).containsEntry("cause", "CONNECTION_REFUSED");
            assertThat(connectivity.summary()).contains("nothing is listening");
            assertThat(monitor.probe(Probe.READINESS).down()).contains("connectivity");

            proxy.pass();
            long t1 = System.nanoTime();
            awaitReady(monitor, true, WITHIN, "UP again after refusing");
            long up = millisSince(t1);
            assertThat(connectivity(monitor).status()).isEqualTo(CheckStatus.PASS);

            List<String> after = awaitThreadsBackTo(baseline);
            System.out.printf("monitor while refused: DOWN after %d ms, UP %d ms after pass(); threads baseline %d,"
                    + " after %s%n", down, up, baseline, after);
            assertThat(after).hasSizeLessThanOrEqualTo(baseline);
        }
    }

    private static CheckResult connectivity(DbGuardMonitor monitor) {
        return monitor.lastReport().orElseThrow().result("connectivity").orElseThrow();
    }

    /**
     * The count once the monitor runs healthily: the least seen over a second, since a healthy run's connect
     * briefly has a pgjdbc connection thread of its own.
     */
    private static int settledThreadCount() throws InterruptedException {
        int least = Integer.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            least = Math.min(least, guardThreads().size());
            Thread.sleep(100);
        }
        return least;
    }

    /**
     * Every live thread of the JVM but the proxy's (a blackholed link keeps its own until close()) and the
     * JDK's "process reaper"s left idle by the fixture's initdb/pg_ctl calls (they end after a minute).
     */
    private static int jvmThreadsButProxy() {
        return (int) Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .filter(t -> !t.getName().startsWith(FaultProxy.THREAD_PREFIX) && !t.getName().startsWith("process reaper"))
                .count();
    }

    private static List<String> jvmThreadNames() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> !n.startsWith(FaultProxy.THREAD_PREFIX) && !n.startsWith("process reaper"))
                .sorted()
                .toList();
    }

    private static int leastJvmThreads() throws InterruptedException {
        int least = Integer.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            least = Math.min(least, jvmThreadsButProxy());
            Thread.sleep(100);
        }
        return least;
    }

    private static List<String> awaitThreadsBackTo(int baseline) throws InterruptedException {
        // blackholed sockets stay open for good: only pgjdbc's login/socket timeouts (set by the guard from
        // its budgets: 1 s and 2 s) release the threads reading them
        // the list that met the baseline is returned: reading it again could catch the next run's threads
        List<List<String>> seen = new ArrayList<>(List.of(guardThreads()));
        Await.holds(Duration.ofSeconds(15), () -> {
            seen.set(0, guardThreads());
            return seen.get(0).size() <= baseline;
        });
        return seen.get(0);
    }

    /** The monitor's, the runner's and pgjdbc's threads; not the JVM's, the fixture's or the proxy's. */
    static List<String> guardThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> n.startsWith("dbguard-") || n.startsWith("PostgreSQL JDBC"))
                .sorted()
                .toList();
    }

    private static void awaitReady(DbGuardMonitor monitor, boolean up, Duration within, String what)
            throws InterruptedException {
        await(within, () -> monitor.ready() == up, () -> what + " (last: " + monitor.probe(Probe.READINESS).reason() + ")");
    }

    private static void await(Duration within, BooleanSupplier condition, String what) throws InterruptedException {
        await(within, condition, () -> what);
    }

    private static void await(Duration within, BooleanSupplier condition, Supplier<String> what) throws InterruptedException {
        Await.until(what, within, condition::getAsBoolean);
    }

    private static long millisSince(long t0) {
        return Duration.ofNanos(System.nanoTime() - t0).toMillis();
    }

    private static String causeOf(CheckResult result) {
        return result == null || result.findings().isEmpty() ? null
                : String.valueOf(result.findings().get(0).details().get("cause"));
    }
}
