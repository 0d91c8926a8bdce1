package io.ampora.dbguard.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.DbGuardConfigurationException;
import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.NamedTestCheck;
import io.ampora.dbguard.testing.Stderr;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

@WithPostgres
class DbGuardMonitorTest {

    @Test
    void statusChangeIsLoggedAndToldOnceNotEveryInterval(TestDatabase db) throws Exception {
        SwitchableCheck flips = new SwitchableCheck("flips", Set.of(Probe.READINESS));
        DbGuard guard = DbGuard.builder().dataSource(db.dataSource()).addCheck(flips).build();
        List<StatusChange> changes = new CopyOnWriteArrayList<>();
        String log = Stderr.capture(() -> {
            try (DbGuardMonitor monitor = guard.monitor(MonitorConfig.builder().defaultInterval(Duration.ofMillis(150)).build())) {
                monitor.addListener(changes::add);
                await(() -> flips.runs.get() >= 3);
                assertThat(monitor.ready()).isTrue();

                flips.status.set(CheckStatus.FAIL);
                int runsAtFlip = flips.runs.get();
                await(() -> flips.runs.get() >= runsAtFlip + 6);
                assertThat(monitor.ready()).isFalse();
                assertThat(monitor.probe(Probe.READINESS).reason()).contains("flips FAIL: flips is FAIL");
                assertThat(monitor.probe(Probe.LIVENESS).up()).isTrue();
            }
        });

        // the first run's result is a change too (from nothing); the listener may be added after it
        List<StatusChange> ofFlips = changes.stream()
                .filter(c -> c.checkId().equals("flips") && c.previous().isPresent()).toList();
        assertThat(ofFlips).hasSize(1);
        assertThat(ofFlips.get(0).previous()).contains(CheckStatus.PASS);
        assertThat(ofFlips.get(0).status()).isEqualTo(CheckStatus.FAIL);
        assertThat(ofFlips.get(0).current().remediation()).isEqualTo("switch it back");
        assertThat(changes).noneMatch(c -> c.checkId().equals("connectivity") && c.previous().isPresent());
        assertThat(count(log, "Database check flips changed PASS -> FAIL: flips is FAIL Fix: switch it back"))
                .as("log:%n%s", log).isEqualTo(1);
        assertThat(count(log, "Readiness is DOWN: flips FAIL")).isEqualTo(1);
    }

    @Test
    void checksRunOnTheirOwnIntervalsAndMergeIntoOneReport(TestDatabase db) throws Exception {
        SwitchableCheck often = new SwitchableCheck("often", Set.of(Probe.READINESS));
        SwitchableCheck rarely = new SwitchableCheck("rarely", Set.of(Probe.READINESS));
        DbGuard guard = DbGuard.builder().dataSource(db.dataSource()).checks(List.of(often, rarely)).build();
        try (DbGuardMonitor monitor = guard.monitor(MonitorConfig.builder().defaultInterval(Duration.ofMillis(100))
                .interval("rarely", Duration.ofHours(1)).build())) {
            await(() -> often.runs.get() >= 5);
            assertThat(rarely.runs.get()).as("the expensive check ran once, in the first run").isEqualTo(1);
            Report report = monitor.lastReport().orElseThrow();
            assertThat(report.checks()).extracting(CheckResult::checkId).containsExactly("often", "rarely");
            assertThat(monitor.checkedAt("often").orElseThrow()).isAfter(monitor.checkedAt("rarely").orElseThrow());
        }
    }

    @Test
    void checksThatDoNotAffectAProbeLeaveItUp(TestDatabase db) {
        SwitchableCheck informational = new SwitchableCheck("informational", Set.of());
        informational.status.set(CheckStatus.FAIL);
        DbGuard guard = DbGuard.builder().dataSource(db.dataSource()).checks(List.of(informational)).build();
        try (DbGuardMonitor monitor = guard.monitor(MonitorConfig.builder().defaultInterval(Duration.ofHours(1)).build())) {
            Report report = monitor.refresh();
            assertThat(report.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(monitor.ready()).isTrue();
            assertThat(monitor.probe(Probe.STARTUP).up()).isTrue();
        }
    }

    @Test
    void unknownTakesReadinessDownOnlyWhenTheGuardCountsItAsFailure(TestDatabase db) {
        SwitchableCheck unsure = new SwitchableCheck("unsure", Set.of(Probe.READINESS));
        unsure.status.set(CheckStatus.UNKNOWN);
        for (boolean strict : new boolean[] {false, true}) {
            DbGuard guard = DbGuard.builder().dataSource(db.dataSource()).checks(List.of(unsure))
                    .unknownIsFailure(strict).build();
            try (DbGuardMonitor monitor = guard.monitor(MonitorConfig.builder().defaultInterval(Duration.ofHours(1)).build())) {
                monitor.refresh();
                assertThat(monitor.ready()).as("unknownIsFailure=%s", strict).isEqualTo(!strict);
            }
        }
    }

    @Test
    void readinessIsDownUntilTheFirstRunAndCloseIsIdempotent(TestDatabase db) {
        DbGuard guard = DbGuard.builder().dataSource(db.dataSource()).build();
        DbGuardMonitor monitor = guard.monitor(MonitorConfig.defaults());
        // the first run is in flight on the monitor thread, or just done
        if (monitor.lastReport().isEmpty()) {
            assertThat(monitor.ready()).isFalse();
        }
        monitor.refresh();
        assertThat(monitor.ready()).isTrue();
        monitor.close();
        monitor.close();
        assertThatThrownBy(monitor::refresh).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void configRejectsTooShortIntervalsAndUnknownChecks(TestDatabase db) {
        assertThatThrownBy(() -> MonitorConfig.builder().defaultInterval(Duration.ofMillis(10)).build())
                .isInstanceOf(DbGuardConfigurationException.class)
                .hasMessageContaining("defaultInterval").hasMessageContaining("at least 100ms");
        assertThatThrownBy(() -> MonitorConfig.builder().interval("tls", null).build())
                .hasMessageContaining("interval of 'tls' is not set");
        DbGuard guard = DbGuard.builder().dataSource(db.dataSource()).build();
        assertThatThrownBy(() -> guard.monitor(MonitorConfig.builder().interval("no-such-check", Duration.ofMinutes(1)).build()))
                .isInstanceOf(DbGuardConfigurationException.class)
                .hasMessageContaining("unknown check 'no-such-check'").hasMessageContaining("connectivity");
    }

    private static int count(String text, String needle) {
        Matcher m = Pattern.compile(Pattern.quote(needle)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        Await.until("the monitor's state", Duration.ofSeconds(20), condition::getAsBoolean);
    }

    /** A check whose status the test sets; it counts its runs. */
    static final class SwitchableCheck extends NamedTestCheck {
        final AtomicReference<CheckStatus> status = new AtomicReference<>(CheckStatus.PASS);
        final AtomicInteger runs = new AtomicInteger();
        private final Set<Probe> probes;

        SwitchableCheck(String id, Set<Probe> probes) {
            super(id, "a check the test switches");
            this.probes = probes;
        }

        @Override
        public Set<Probe> probes() {
            return probes;
        }

        @Override
        public boolean requiresConnection() {
            return false;
        }

        @Override
        public CheckResult run(CheckContext context) {
            runs.incrementAndGet();
            CheckStatus s = status.get();
            return CheckResult.builder(this).status(s).summary(id() + " is " + s)
                    .remediation(s == CheckStatus.PASS ? "" : "switch it back").build();
        }
    }
}
