package io.ampora.dbguard.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.monitor.DbGuardMonitor;
import io.ampora.dbguard.monitor.MonitorConfig;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

@WithPostgres
class DbGuardMetricsTest {

    @Test
    void monitorPublishesStatusDurationReadinessAndCountsChanges(TestDatabase db) {
        AtomicReference<CheckStatus> status = new AtomicReference<>(CheckStatus.PASS);
        DatabaseCheck switchable = new DatabaseCheck() {
            @Override
            public String id() {
                return "switchable";
            }

            @Override
            public RunbookSection runbook() {
                return RunbookSection.BEYOND_RUNBOOK;
            }

            @Override
            public String description() {
                return "a check the test switches";
            }

            @Override
            public CheckResult run(CheckContext context) {
                return CheckResult.builder(this).status(status.get()).summary("is " + status.get()).build();
            }
        };
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DbGuard guard = DbGuard.builder().dataSource(db.dataSource()).addCheck(switchable).build();
        try (DbGuardMonitor monitor = guard.monitor(MonitorConfig.builder().defaultInterval(Duration.ofHours(1)).build())) {
            DbGuardMetrics.bind(monitor, registry);
            monitor.refresh();
            assertThat(registry.get(DbGuardMetrics.STATUS).tag("check", "connectivity").gauge().value()).isEqualTo(0.0);
            assertThat(registry.get(DbGuardMetrics.DURATION).tag("check", "connectivity").timeGauge()
                    .value(java.util.concurrent.TimeUnit.NANOSECONDS)).isPositive();
            assertThat(registry.get(DbGuardMetrics.READY).gauge().value()).isEqualTo(1.0);

            status.set(CheckStatus.FAIL);
            monitor.refresh();
            monitor.refresh();

            assertThat(registry.get(DbGuardMetrics.STATUS).tag("check", "switchable").gauge().value()).isEqualTo(4.0);
            assertThat(registry.get(DbGuardMetrics.READY).gauge().value()).isEqualTo(0.0);
            assertThat(registry.get(DbGuardMetrics.CHANGES).tag("check", "switchable").tag("status", "FAIL").counter().count())
                    .isEqualTo(1.0);
            assertThat(registry.find(DbGuardMetrics.CHANGES).tag("check", "connectivity").counters()).isEmpty();
        }
    }
}
