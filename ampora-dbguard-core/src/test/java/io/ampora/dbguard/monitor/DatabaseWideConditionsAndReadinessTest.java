package io.ampora.dbguard.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.DbGuardConfigurationException;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.runbook.locks.LockScenario;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Readiness asks whether this instance can serve. A condition every instance of the application sees at the
 * same moment (a forgotten transaction, a wedged table) must not take them all out of the load balancer at
 * once: the runbook's database-wide checks report, log and count it, and leave readiness alone unless the
 * application says otherwise ({@code MonitorConfig.Builder.probes}). Reproduced for real: a second session
 * holds the transaction or the lock; two monitors stand for two instances of one service.
 */
@WithPostgres
class DatabaseWideConditionsAndReadinessTest {

    private static final Duration ONE_HOUR = Duration.ofHours(1);
    private final List<DbGuardMonitor> monitors = new ArrayList<>();

    @AfterEach
    void closeMonitors() {
        monitors.forEach(DbGuardMonitor::close);
    }

    @Test
    void anAnalystsForgottenTransactionFailsTheReportButKeepsEveryInstanceInTheLoadBalancer(TestDatabase db)
            throws Exception {
        try (LockScenario scenario = new LockScenario(db)) {
            int pid = scenario.hold("psql", "SELECT txid_current()");
            List<DbGuardMonitor> instances = List.of(instance(db, c -> c), instance(db, c -> c));

            for (DbGuardMonitor monitor : instances) {
                CheckResult longTransactions = awaitFail(monitor, "long-transactions");

                assertThat(longTransactions.findings()).anySatisfy(f -> assertThat(f.details()).containsEntry("pid", pid));
                assertThat(monitor.lastReport().orElseThrow().status()).isEqualTo(CheckStatus.FAIL);
                ProbeResult readiness = monitor.probe(Probe.READINESS);
                assertThat(readiness.up()).as(readiness.reason()).isTrue();
                assertThat(readiness.results()).extracting(CheckResult::checkId)
                        .contains("connectivity").doesNotContain("long-transactions");
                assertThat(monitor.probe(Probe.STARTUP).up()).isTrue();
            }
        }
    }

    @Test
    void anApplicationThatWantsReadinessToFollowTheConditionNamesTheCheck(TestDatabase db) throws Exception {
        try (LockScenario scenario = new LockScenario(db)) {
            scenario.hold("psql", "SELECT txid_current()");
            DbGuardMonitor monitor = instance(db, c -> c.probes("long-transactions", Probe.READINESS, Probe.STARTUP));

            awaitFail(monitor, "long-transactions");

            ProbeResult readiness = monitor.probe(Probe.READINESS);
            assertThat(readiness.up()).isFalse();
            assertThat(readiness.down()).containsExactly("long-transactions");
            assertThat(readiness.reason()).startsWith("long-transactions FAIL: ");
        }
    }

    @Test
    void aWedgedTableHoldsBackAStartingInstanceWithoutTakingTheRunningOneOut(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE parcels (id int)");
        DbGuardMonitor running = instance(db, c -> c);
        running.refresh();
        assertThat(running.probe(Probe.STARTUP).up()).as("started before the lock").isTrue();
        try (LockScenario scenario = new LockScenario(db)) {
            scenario.hold("psql", "LOCK TABLE parcels IN ACCESS EXCLUSIVE MODE");
            int waiter = scenario.waitOn("orders-service", "SELECT count(*) FROM parcels");
            scenario.awaitWaiting(Duration.ofMillis(400), waiter);

            awaitFail(running, "blocking-locks");
            DbGuardMonitor starting = instance(db, c -> c);
            awaitFail(starting, "blocking-locks");

            assertThat(running.ready()).as(running.probe(Probe.READINESS).reason()).isTrue();
            assertThat(starting.ready()).as(starting.probe(Probe.READINESS).reason()).isTrue();
            ProbeResult startup = starting.probe(Probe.STARTUP);
            assertThat(startup.up()).as("a starting instance waits, as verifyOrFail() would stop it").isFalse();
            assertThat(startup.down()).containsExactly("blocking-locks");
        }
    }

    @Test
    void probesAreCheckedUpFrontNamingWhatIsWrong(TestDatabase db) {
        assertThatThrownBy(() -> MonitorConfig.builder().probes("disk-usage", Probe.READINESS, Probe.LIVENESS).build())
                .isInstanceOf(DbGuardConfigurationException.class)
                .hasMessageContaining("Monitor probes of 'disk-usage' include LIVENESS")
                .hasMessageContaining("use READINESS and/or STARTUP, or none");

        DbGuard guard = DbGuard.builder().dataSource(db.dataSource()).build();
        assertThatThrownBy(() -> guard.monitor(MonitorConfig.builder().probes("disk-usgae").build()))
                .isInstanceOf(DbGuardConfigurationException.class)
                .hasMessageStartingWith("Monitor probes set for unknown check 'disk-usgae'; this guard runs: connectivity, ")
                .hasMessageContaining("disk-usage");
    }

    private DbGuardMonitor instance(TestDatabase db, UnaryOperator<MonitorConfig.Builder> config) {
        DbGuard guard = DbGuard.builder().dataSource(db.dataSource()).applicationName("orders-service")
                .set("long-transactions.warnAfter", "200ms").set("long-transactions.failAfter", "1s")
                .set("blocking-locks.warnAfter", "100ms").set("blocking-locks.failAfter", "300ms")
                .build();
        DbGuardMonitor monitor = guard.monitor(config.apply(MonitorConfig.builder().defaultInterval(ONE_HOUR)).build());
        monitors.add(monitor);
        return monitor;
    }

    private static CheckResult awaitFail(DbGuardMonitor monitor, String checkId) throws InterruptedException {
        return Await.value(checkId + " FAIL", Duration.ofSeconds(20),
                () -> monitor.refresh().result(checkId).orElseThrow(),
                r -> r.status() == CheckStatus.FAIL);
    }
}
