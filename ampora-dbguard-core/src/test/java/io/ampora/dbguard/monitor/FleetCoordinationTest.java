package io.ampora.dbguard.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.monitor.ResultOrigin.Source;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.FaultProxy;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Fleet coordination on one real PostgreSQL: many monitors of one fleet in one JVM, each with its own guard,
 * elect one runner per database-wide check and interval through advisory locks and share its result with
 * NOTIFY. Runs are counted by PostgreSQL itself (pg_stat_statements calls of each check's statement).
 */
@WithPostgres(settings = {"max_connections=250", "shared_preload_libraries=pg_stat_statements"})
class FleetCoordinationTest {

    static final Duration INTERVAL = Duration.ofSeconds(5);
    static final List<String> CHECKS = List.of("connectivity", "tls", "blocking-locks", "long-transactions",
            "idle-in-transaction", "txid-wraparound");
    static final List<String> DATABASE_WIDE = List.of("blocking-locks", "long-transactions", "idle-in-transaction",
            "txid-wraparound");
    /** A piece of each check's statement as pg_stat_statements keeps it (constants normalised away). */
    static final Map<String, String> STATEMENT = Map.of(
            "blocking-locks", "pg_blocking_pids",
            "long-transactions", "a.xact_start IS NOT NULL",
            "idle-in-transaction", "idle sessions wait for nothing",
            "txid-wraparound", "mxid_age(d.datminmxid)",
            "connectivity", "pg_postmaster_start_time");

    private final List<DbGuardMonitor> monitors = new ArrayList<>();
    private final List<FaultProxy> proxies = new ArrayList<>();

    @AfterEach
    void closeAll() {
        monitors.forEach(DbGuardMonitor::close);
        proxies.forEach(FaultProxy::close);
    }

    private DbGuardMonitor start(DataSource dataSource, String fleet, String instance) {
        DbGuard guard = DbGuard.builder().dataSource(dataSource).applicationName("fleet-test").only(CHECKS).build();
        return start(guard, fleet, instance);
    }

    private DbGuardMonitor start(DbGuard guard, String fleet, String instance) {
        DbGuardMonitor monitor = guard.monitor(MonitorConfig.builder().defaultInterval(INTERVAL).fleet(fleet)
                .instance(instance).build());
        monitors.add(monitor);
        return monitor;
    }

    @Test
    void twentyMonitorsOfOneFleetRunEachDatabaseWideCheckOncePerIntervalAndAllReportTheSameResults(TestDatabase db)
            throws Exception {
        db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        for (int i = 0; i < 20; i++) {
            start(db.dataSource(), "orders", "pod-" + i);
        }
        await(Duration.ofSeconds(60), () -> monitors.stream().allMatch(m -> m.origins().keySet().containsAll(CHECKS)),
                "every monitor has a result of every check");

        db.execute("SELECT pg_stat_statements_reset()");
        long t0 = System.nanoTime();
        Map<String, Map<Instant, Set<CheckResult>>> seen = new TreeMap<>();
        Map<String, Map<Instant, Set<String>>> heardBy = new TreeMap<>();
        Map<String, Map<Instant, Set<String>>> ranBy = new TreeMap<>();
        List<String> fallbacks = new ArrayList<>();
        int intervals = 5;
        while (System.nanoTime() - t0 < INTERVAL.multipliedBy(intervals).toNanos()) {
            for (DbGuardMonitor m : monitors) {
                Map<String, ResultOrigin> origins = m.origins();
                var report = m.lastReport().orElseThrow();
                for (String id : DATABASE_WIDE) {
                    ResultOrigin o = origins.get(id);
                    CheckResult r = report.result(id).orElseThrow();
                    if (!o.ranAt().equals(m.checkedAt(id).orElseThrow())) {
                        continue; // the snapshot moved between the two reads
                    }
                    seen.computeIfAbsent(id, k -> new TreeMap<>()).computeIfAbsent(o.ranAt(), k -> new HashSet<>()).add(r);
                    heardBy.computeIfAbsent(id, k -> new TreeMap<>()).computeIfAbsent(o.ranAt(), k -> new HashSet<>())
                            .add(m.config().instance());
                    ranBy.computeIfAbsent(id, k -> new TreeMap<>()).computeIfAbsent(o.ranAt(), k -> new HashSet<>())
                            .add(o.ranBy());
                    if (o.source() == Source.FALLBACK) {
                        fallbacks.add(m.config().instance() + " " + id + ": " + o.note());
                    }
                }
                ResultOrigin tls = origins.get("tls");
                assertThat(tls.source()).isEqualTo(Source.THIS_INSTANCE);
                assertThat(tls.ranBy()).isEqualTo(m.config().instance());
            }
            Thread.sleep(100);
        }
        double elapsed = (System.nanoTime() - t0) / (double) INTERVAL.toNanos();
        Map<String, Long> calls = new LinkedHashMap<>();
        for (String id : STATEMENT.keySet()) {
            calls.put(id, db.statementCalls(STATEMENT.get(id)));
        }
        System.out.printf("20 monitors, %.1f intervals of %s: statement calls %s; runs seen per check %s%n", elapsed,
                INTERVAL, calls, seen.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().size())));

        assertThat(fallbacks).as("no monitor had to run a database-wide check itself").isEmpty();
        for (String id : DATABASE_WIDE) {
            assertThat(calls.get(id)).as("%s ran once per interval across the fleet (%.1f intervals)", id, elapsed)
                    .isBetween((long) Math.floor(elapsed) - 1, (long) Math.ceil(elapsed) + 1);
            seen.get(id).forEach((ranAt, results) -> assertThat(results)
                    .as("%s run of %s: every monitor carries the same result", id, ranAt).hasSize(1));
            ranBy.get(id).forEach((ranAt, who) -> assertThat(who).as("%s run of %s has one runner", id, ranAt).hasSize(1));
            long heardByAll = heardBy.get(id).values().stream().filter(who -> who.size() == 20).count();
            assertThat(heardByAll).as("%s runs every one of the 20 monitors reported", id)
                    .isGreaterThanOrEqualTo(intervals - 2);
        }
        // per-instance checks: connectivity connects and reads the server facts on every instance every interval;
        // tls reads what that connection saw (its own statement runs only with the settings, see ServerFactsReader)
        assertThat(calls.get("connectivity")).as("the per-instance connectivity check ran on every instance every interval")
                .isGreaterThanOrEqualTo(20L * ((long) Math.floor(elapsed) - 1));
        for (DbGuardMonitor m : monitors) {
            for (String id : DATABASE_WIDE) {
                ResultOrigin o = m.origin(id).orElseThrow();
                assertThat(o.source()).isIn(Source.ELECTED, Source.FLEET);
                assertThat(o.ranBy()).startsWith("pod-");
                assertThat(o.age(Instant.now())).isLessThan(INTERVAL.multipliedBy(3));
            }
        }
    }

    @Test
    void whenTheRunnersSessionIsTerminatedAnotherInstanceRunsTheNextIntervalAndNoIntervalIsSkippedByMoreThanOne(
            TestDatabase db) throws Exception {
        for (int i = 0; i < 4; i++) {
            start(db.dataSource(), "billing", "node-" + i);
        }
        String check = "blocking-locks";
        await(Duration.ofSeconds(30), () -> monitors.stream().allMatch(m -> m.origin(check).isPresent()),
                "every monitor has a result of " + check);
        DbGuardMonitor runner = monitors.stream()
                .filter(m -> m.origin(check).orElseThrow().source() == Source.ELECTED).findFirst().orElseThrow();
        String runnerName = runner.config().instance();
        int pid = runner.fleetSessionPid().orElseThrow();
        DbGuardMonitor observer = monitors.stream().filter(m -> m != runner).findFirst().orElseThrow();

        List<ResultOrigin> history = new ArrayList<>();
        Runnable sample = () -> observer.origin(check).ifPresent(o -> {
            if (history.isEmpty() || !history.get(history.size() - 1).ranAt().equals(o.ranAt())) {
                history.add(o);
            }
        });
        long until = System.nanoTime() + INTERVAL.multipliedBy(2).toNanos();
        while (System.nanoTime() < until) {
            sample.run();
            Thread.sleep(50);
        }
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT pg_terminate_backend(?)")) {
            ps.setInt(1, pid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getBoolean(1)).as("the runner's session %d was terminated", pid).isTrue();
            }
        }
        Instant killedAt = Instant.now();
        until = System.nanoTime() + INTERVAL.multipliedBy(5).toNanos();
        while (System.nanoTime() < until) {
            sample.run();
            Thread.sleep(50);
        }
        System.out.println("runs of " + check + " seen by " + observer.config().instance() + " (killed " + runnerName
                + "'s session at " + killedAt + "): " + history.stream()
                .map(o -> o.ranAt() + " " + o.ranBy() + " " + o.source()).collect(Collectors.joining(", ")));

        List<ResultOrigin> after = history.stream().filter(o -> o.ranAt().isAfter(killedAt)).toList();
        assertThat(after).as("runs after the kill").hasSizeGreaterThanOrEqualTo(3);
        assertThat(after.get(0).ranBy()).as("the next run is another instance's").isNotEqualTo(runnerName);
        assertThat(after).allMatch(o -> o.source() == Source.FLEET || o.source() == Source.ELECTED);
        for (int i = 1; i < history.size(); i++) {
            Duration gap = Duration.between(history.get(i - 1).ranAt(), history.get(i).ranAt());
            assertThat(gap).as("gap between runs %d and %d: at most one interval skipped", i - 1, i)
                    .isLessThan(INTERVAL.multipliedBy(2).plus(INTERVAL.dividedBy(2)));
        }
        assertThat(runner.fleetSessionPid()).as("the killed instance rejoined with a new session")
                .isPresent().get().isNotEqualTo(pid);
    }

    @Test
    void aPartitionedInstanceRunsTheChecksItselfAndSaysWhyThenRejoins(TestDatabase db) throws Exception {
        for (int i = 0; i < 3; i++) {
            start(db.dataSource(), "shipping", "ship-" + i);
        }
        await(Duration.ofSeconds(30), () -> monitors.stream().allMatch(m -> m.origins().keySet().containsAll(CHECKS)),
                "the fleet runs");
        FaultProxy proxy = FaultProxy.start(db.server().host(), db.server().port());
        proxies.add(proxy);
        DbGuard viaProxy = DbGuard.builder().jdbcUrl(proxy.jdbcUrl(db.name())).user(db.server().adminUser())
                .applicationName("fleet-test").only(CHECKS).checkTimeout(Duration.ofSeconds(1))
                .connectTimeout(Duration.ofSeconds(1)).deadline(Duration.ofSeconds(3)).build();
        DbGuardMonitor cut = start(viaProxy, "shipping", "ship-cut");
        await(Duration.ofSeconds(30), () -> cut.origins().keySet().containsAll(CHECKS)
                        && DATABASE_WIDE.stream().allMatch(id -> cut.origin(id).orElseThrow().source() == Source.FLEET),
                "the late instance hears the fleet's results");

        proxy.blackhole();
        await(Duration.ofSeconds(30), () -> DATABASE_WIDE.stream().allMatch(id ->
                        cut.origin(id).orElseThrow().source() == Source.FALLBACK),
                "the partitioned instance runs the database-wide checks itself");
        for (String id : DATABASE_WIDE) {
            ResultOrigin o = cut.origin(id).orElseThrow();
            assertThat(o.ranBy()).isEqualTo("ship-cut");
            assertThat(o.note()).as("%s says why", id)
                    .containsAnyOf("the fleet channel is down", "no result of fleet 'shipping' heard within two intervals");
        }
        // connectivity is per instance, on its own schedule: wait for its first run since the blackhole
        await(Duration.ofSeconds(30), () -> cut.lastReport().orElseThrow().result("connectivity").orElseThrow().status()
                == CheckStatus.FAIL, "the partitioned instance's connectivity fails");
        for (DbGuardMonitor m : monitors.subList(0, 3)) {
            assertThat(DATABASE_WIDE).allMatch(id -> m.origin(id).orElseThrow().source() != Source.FALLBACK);
        }

        proxy.pass();
        await(Duration.ofSeconds(40), () -> DATABASE_WIDE.stream().allMatch(id -> {
            Source s = cut.origin(id).orElseThrow().source();
            return s == Source.FLEET || s == Source.ELECTED;
        }), "the instance rejoins the fleet after the partition");
        assertThat(cut.fleetSessionPid()).isPresent();
        assertThat(cut.ready()).isTrue();
    }

    @Test
    void twoFleetsOnOneDatabaseDoNotShareRunners(TestDatabase db) throws Exception {
        for (int i = 0; i < 2; i++) {
            start(db.dataSource(), "alpha", "alpha-" + i);
            start(db.dataSource(), "beta", "beta-" + i);
        }
        await(Duration.ofSeconds(30), () -> monitors.stream().allMatch(m -> m.origins().keySet().containsAll(CHECKS)),
                "both fleets run");
        Thread.sleep(INTERVAL.multipliedBy(2).toMillis());
        Map<String, Set<String>> runnersByFleet = new HashMap<>();
        for (DbGuardMonitor m : monitors) {
            String fleet = m.config().fleet().orElseThrow();
            for (String id : DATABASE_WIDE) {
                ResultOrigin o = m.origin(id).orElseThrow();
                assertThat(o.ranBy()).as("%s of %s in fleet %s", id, m.config().instance(), fleet).startsWith(fleet + "-");
                runnersByFleet.computeIfAbsent(fleet, k -> new HashSet<>()).add(o.ranBy());
            }
        }
        assertThat(runnersByFleet).containsOnlyKeys("alpha", "beta");
        // each fleet holds its own advisory locks: one per database-wide check, in sessions of its members
        Map<String, Long> locks = new HashMap<>();
        for (DbGuardMonitor m : monitors) {
            long held = advisoryLocksOf(db, m.fleetSessionPid().orElseThrow());
            locks.merge(m.config().fleet().orElseThrow(), held, Long::sum);
        }
        assertThat(locks).containsEntry("alpha", (long) DATABASE_WIDE.size()).containsEntry("beta", (long) DATABASE_WIDE.size());
    }

    private static long advisoryLocksOf(TestDatabase db, int pid) throws SQLException {
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                     + " AND granted AND pid = ?")) {
            ps.setInt(1, pid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static void await(Duration within, BooleanSupplier condition, String what) throws InterruptedException {
        Await.until(what, within, condition::getAsBoolean);
    }
}
