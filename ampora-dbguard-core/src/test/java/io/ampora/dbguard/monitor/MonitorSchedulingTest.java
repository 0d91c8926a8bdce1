package io.ampora.dbguard.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.monitor.ResultOrigin.Source;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.NamedTestCheck;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Cost-aware intervals and back-off of the monitor, on a real PostgreSQL. */
@WithPostgres
class MonitorSchedulingTest {

    @Test
    void defaultIntervalsFollowEachChecksScopeAndCost() {
        Map<String, DatabaseCheck> byId = DbGuard.discoverChecks().stream()
                .collect(Collectors.toMap(DatabaseCheck::id, Function.identity()));
        MonitorConfig config = MonitorConfig.defaults();

        assertThat(config.intervalOf(byId.get("connectivity"))).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.intervalOf(byId.get("tls"))).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.intervalOf(byId.get("blocking-locks"))).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.intervalOf(byId.get("slow-queries"))).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.intervalOf(byId.get("fk-index"))).isEqualTo(Duration.ofMinutes(15));
        assertThat(config.intervalOf(byId.get("disk-usage"))).isEqualTo(Duration.ofMinutes(15));
        assertThat(byId.get("connectivity").scope()).isEqualTo(CheckScope.INSTANCE);
        assertThat(byId.get("tls").scope()).isEqualTo(CheckScope.INSTANCE);
        assertThat(byId.values().stream().filter(c -> c.scope() == CheckScope.INSTANCE).map(DatabaseCheck::id))
                .containsExactlyInAnyOrder("connectivity", "tls");
        assertThat(config.intervalOf(byId.get("pooler-prepared-statements"))).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.intervalOf(byId.get("collation-versions"))).isEqualTo(Duration.ofMinutes(15));
        assertThat(config.intervalOf(byId.get("sequence-behind-data"))).isEqualTo(Duration.ofMinutes(15));
        assertThat(config.intervalOf(byId.get("extension-versions"))).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.intervalOf(byId.get("missing-statistics"))).isEqualTo(Duration.ofMinutes(15));
        assertThat(config.intervalOf(byId.get("checkpoint-pressure"))).isEqualTo(Duration.ofSeconds(10));

        // a check that declares nothing (another module's, a user's) is database-wide and of normal cost
        SleepingCheck undeclared = new SleepingCheck("undeclared", 0);
        assertThat(undeclared.scope()).isEqualTo(CheckScope.DATABASE);
        assertThat(undeclared.cost()).isEqualTo(CheckCost.NORMAL);
        assertThat(config.intervalOf(undeclared)).isEqualTo(Duration.ofSeconds(30));

        MonitorConfig custom = MonitorConfig.builder().defaultInterval(Duration.ofSeconds(20))
                .intervals(Map.of("fk-index", Duration.ofMinutes(5))).interval("undeclared", Duration.ofSeconds(1)).build();
        assertThat(custom.intervalOf(byId.get("fk-index"))).isEqualTo(Duration.ofMinutes(5));
        assertThat(custom.intervalOf(undeclared)).isEqualTo(Duration.ofSeconds(1));
        assertThat(custom.intervalOf(byId.get("disk-usage"))).isEqualTo(Duration.ofMinutes(30));
        assertThat(custom.intervalOf(byId.get("connectivity"))).isEqualTo(Duration.ofSeconds(20));
        assertThat(custom.intervalOf("fk-index")).as("the id-based lookup keeps its meaning").isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void aCheckWhoseRunTakesMoreThanAQuarterOfItsIntervalBacksOffAndReturnsWhenFastAgain(TestDatabase db)
            throws Exception {
        SleepingCheck slow = new SleepingCheck("slow", 1_000);
        SleepingCheck fast = new SleepingCheck("fast", 0);
        DbGuard guard = DbGuard.builder().dataSource(db.dataSource()).checks(List.of(slow, fast)).build();
        Duration interval = Duration.ofSeconds(2);
        try (DbGuardMonitor monitor = guard.monitor(MonitorConfig.builder().defaultInterval(interval)
                .interval("slow", interval).interval("fast", interval).build())) {
            await(() -> slow.runs.get() >= 2);
            ResultOrigin backedOff = monitor.origin("slow").orElseThrow();
            Duration took = monitor.lastReport().orElseThrow().result("slow").orElseThrow().duration();
            // at least 1 s of a 2 s interval: the next run waits 4 x the run, rounded up to whole intervals
            long factor = Math.min(16, (took.toNanos() * 4 + interval.toNanos() - 1) / interval.toNanos());
            assertThat(factor).isGreaterThanOrEqualTo(2);
            assertThat(backedOff.interval()).isEqualTo(interval.multipliedBy(factor));
            assertThat(backedOff.note()).contains("Backing off: the last run took", "more than a quarter of its interval"
                    + " of 2.0s", "next run in ");
            assertThat(backedOff.source()).isEqualTo(Source.THIS_INSTANCE);
            ResultOrigin steady = monitor.origin("fast").orElseThrow();
            assertThat(steady.interval()).isEqualTo(interval);
            assertThat(steady.note()).isEmpty();

            slow.sleepMillis.set(0);
            int runsAtSwitch = slow.runs.get();
            await(() -> slow.runs.get() >= runsAtSwitch + 2);
            ResultOrigin recovered = monitor.origin("slow").orElseThrow();
            assertThat(recovered.interval()).isEqualTo(interval);
            assertThat(recovered.note()).isEmpty();
        }
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        Await.until("the monitor's state", Duration.ofSeconds(30), condition::getAsBoolean);
    }

    /** Sleeps in the database for as long as the test says, then passes. */
    static final class SleepingCheck extends NamedTestCheck {
        final AtomicLong sleepMillis = new AtomicLong();
        final AtomicInteger runs = new AtomicInteger();

        SleepingCheck(String id, long sleepMillis) {
            super(id, "sleeps in the database");
            this.sleepMillis.set(sleepMillis);
        }

        @Override
        public CheckResult run(CheckContext context) throws Exception {
            try (PreparedStatement ps = context.connection().prepareStatement("SELECT pg_catalog.pg_sleep(?)")) {
                ps.setDouble(1, sleepMillis.get() / 1000.0);
                ps.execute();
            }
            runs.incrementAndGet();
            return CheckResult.pass(this, id() + " slept " + sleepMillis.get() + " ms");
        }
    }
}
