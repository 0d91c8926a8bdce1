package io.ampora.dbguard.monitor;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.DbGuardConfigurationException;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.report.Report;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-runs a guard's checks in the background, each on its {@link MonitorConfig interval}, and keeps the
 * last result of each so that health probes are answered from memory in microseconds, never touching
 * the database per request.
 *
 * <p>Start one with {@link DbGuard#monitor(MonitorConfig)}; serve it with
 * {@link io.ampora.dbguard.health.HealthServer} or plug {@link #probe(Probe)} into a framework's health
 * API. The first run covers every check at once; then checks sharing an interval run together. All runs
 * happen one after the other on a single daemon thread, so the monitor never holds more sessions than
 * one report does ({@code maxConcurrency}). A status change is logged once, with the reason, and told
 * to the {@link StatusListener}s; a steady state is not logged again.
 *
 * <p>Probes: a check affects the probes its {@link DatabaseCheck#probes()} name. A probe is DOWN when one
 * of its checks is FAIL, or UNKNOWN and the guard counts UNKNOWN as failure; WARN and SKIP are UP.
 * Readiness is DOWN until the first run completes; startup is UP from the first run whose startup checks
 * pass, and stays UP (an orchestrator stops asking once it is).
 */
public final class DbGuardMonitor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DbGuardMonitor.class);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final DbGuard guard;
    private final MonitorConfig config;
    private final Map<String, DatabaseCheck> checks = new LinkedHashMap<>();
    private final ScheduledExecutorService scheduler;
    private final List<StatusListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong runs = new AtomicLong();
    /** Written only on the monitor thread. */
    private final Map<String, CheckResult> latest = new LinkedHashMap<>();
    private final Map<String, Instant> checkedAt = new LinkedHashMap<>();
    private String serverVersion = "";
    private volatile Snapshot snapshot;
    private volatile boolean closed;

    /**
     * What the probes read: immutable, replaced after every run.
     *
     * @param report    the last result of every check that has run, as one report
     * @param checkedAt when each check last ran
     * @param probes    each probe's answer
     */
    private record Snapshot(Report report, Map<String, Instant> checkedAt, Map<Probe, ProbeResult> probes) {
    }

    private DbGuardMonitor(DbGuard guard, MonitorConfig config) {
        this.guard = guard;
        this.config = config;
        guard.checks().forEach(c -> checks.put(c.id(), c));
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dbguard-monitor-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.snapshot = new Snapshot(null, Map.of(), initialProbes());
    }

    /**
     * Starts monitoring; {@link DbGuard#monitor(MonitorConfig)} is the usual way in.
     *
     * @param guard  the guard whose checks to run
     * @param config the intervals
     * @return the running monitor; the first run has started in the background
     * @throws DbGuardConfigurationException when the config names a check the guard does not run
     */
    public static DbGuardMonitor start(DbGuard guard, MonitorConfig config) {
        Objects.requireNonNull(guard, "guard");
        Objects.requireNonNull(config, "config");
        List<String> ids = guard.checks().stream().map(DatabaseCheck::id).toList();
        for (String id : config.intervals().keySet()) {
            if (!ids.contains(id)) {
                throw new DbGuardConfigurationException("Monitor interval set for unknown check '" + id
                        + "'; this guard runs: " + String.join(", ", ids));
            }
        }
        DbGuardMonitor monitor = new DbGuardMonitor(guard, config);
        monitor.schedule();
        return monitor;
    }

    private void schedule() {
        scheduler.execute(() -> runSafely(List.copyOf(checks.keySet())));
        Map<Duration, List<String>> groups = new TreeMap<>();
        for (String id : checks.keySet()) {
            groups.computeIfAbsent(config.intervalOf(id), k -> new ArrayList<>()).add(id);
        }
        groups.forEach((interval, ids) -> {
            long nanos = interval.toNanos();
            scheduler.scheduleWithFixedDelay(() -> runSafely(ids), nanos, nanos, TimeUnit.NANOSECONDS);
        });
        LOG.info("Monitoring {} database checks: {}", checks.size(), groups.entrySet().stream()
                .map(e -> e.getValue() + " every " + e.getKey().toMillis() + " ms")
                .collect(Collectors.joining("; ")));
    }

    /** @return the guard whose checks this monitor runs */
    public DbGuard guard() {
        return guard;
    }

    /** @return the intervals */
    public MonitorConfig config() {
        return config;
    }

    /**
     * The last result of every check that has run, as one report whose status is the worst of them.
     *
     * @return the report, empty until the first run completes
     */
    public Optional<Report> lastReport() {
        return Optional.ofNullable(snapshot.report());
    }

    /**
     * When a check last ran.
     *
     * @param checkId the check's id
     * @return the time its current result was taken, empty if it has not run yet
     */
    public Optional<Instant> checkedAt(String checkId) {
        return Optional.ofNullable(snapshot.checkedAt().get(checkId));
    }

    /**
     * Answers a health probe from the last results, without touching the database.
     *
     * @param probe the probe
     * @return the answer with the results behind it
     */
    public ProbeResult probe(Probe probe) {
        return snapshot.probes().get(probe);
    }

    /** @return whether readiness is UP: a shortcut for {@code probe(Probe.READINESS).up()} */
    public boolean ready() {
        return probe(Probe.READINESS).up();
    }

    /** @return how many runs (of all checks, or of one interval's group) have completed */
    public long runs() {
        return runs.get();
    }

    /**
     * Adds a listener told of every status change from now on.
     *
     * @param listener the listener
     */
    public void addListener(StatusListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Runs every check now, on the monitor's thread after any run in progress, and waits for it. Use it
     * after a deployment step or in tests; probes are never refreshed per request.
     *
     * @return the merged report after the run
     * @throws IllegalStateException when the monitor is closed or the wait is interrupted
     */
    public Report refresh() {
        if (closed) {
            throw new IllegalStateException("The monitor is closed; start a new one with DbGuard.monitor(...)");
        }
        Future<?> done = scheduler.submit(() -> runSafely(List.copyOf(checks.keySet())));
        try {
            done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for the monitor's run", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("The monitor's run failed: " + e.getCause(), e.getCause());
        }
        return lastReport().orElseThrow();
    }

    /** Stops the background runs; a run in progress is interrupted. Calling it again does nothing. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        scheduler.shutdownNow();
        try {
            if (!scheduler.awaitTermination(2, TimeUnit.SECONDS)) {
                LOG.debug("The database monitor's run in progress did not stop within 2 s; its thread is a daemon");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void runSafely(List<String> ids) {
        if (closed) {
            return;
        }
        try {
            Report report = guard.report(ids);
            update(report);
            runs.incrementAndGet();
        } catch (Throwable t) {
            // the guard never throws for a database problem: this is a bug, and the next run must still happen
            LOG.error("Database monitor run of {} failed; the previous results stay in place", ids, t);
        }
    }

    private void update(Report report) {
        List<StatusChange> changes = new ArrayList<>();
        Instant at = report.startedAt().plus(report.duration());
        for (CheckResult result : report.checks()) {
            CheckResult before = latest.put(result.checkId(), result);
            checkedAt.put(result.checkId(), at);
            if (before == null || before.status() != result.status()) {
                changes.add(new StatusChange(result.checkId(),
                        Optional.ofNullable(before).map(CheckResult::status), result, at));
            }
        }
        if (!report.serverVersion().isEmpty()) {
            serverVersion = report.serverVersion();
        }
        List<CheckResult> ordered = new ArrayList<>();
        for (String id : checks.keySet()) {
            CheckResult r = latest.get(id);
            if (r != null) {
                ordered.add(r);
            }
        }
        Report merged = new Report(Report.overall(ordered, guard.unknownIsFailure()), report.startedAt(),
                report.duration(), ordered, serverVersion, report.database());
        Snapshot previous = snapshot;
        Snapshot next = new Snapshot(merged, Map.copyOf(checkedAt), probes(ordered, previous));
        snapshot = next;
        changes.forEach(this::announce);
        announceReadiness(previous.probes().get(Probe.READINESS), next.probes().get(Probe.READINESS),
                previous.report() == null);
    }

    private Map<Probe, ProbeResult> probes(List<CheckResult> results, Snapshot previous) {
        Map<Probe, ProbeResult> probes = new EnumMap<>(Probe.class);
        boolean complete = results.size() == checks.size();
        for (Probe probe : Probe.values()) {
            List<CheckResult> affecting = results.stream()
                    .filter(r -> checks.get(r.checkId()).probes().contains(probe))
                    .toList();
            List<CheckResult> down = affecting.stream().filter(this::isDown).toList();
            String reason = down.isEmpty() ? affecting.size() + " check(s) UP"
                    : down.stream().map(r -> r.checkId() + " " + r.status() + ": " + r.summary())
                    .collect(Collectors.joining("; "));
            boolean up = down.isEmpty();
            if (probe == Probe.STARTUP) {
                ProbeResult before = previous.probes().get(Probe.STARTUP);
                if (before.up()) {
                    reason = "started; " + reason;
                }
                up = before.up() || (up && complete);
            }
            probes.put(probe, new ProbeResult(probe, up, reason, affecting,
                    down.stream().map(CheckResult::checkId).toList()));
        }
        return probes;
    }

    private boolean isDown(CheckResult r) {
        return r.status() == CheckStatus.FAIL || (r.status() == CheckStatus.UNKNOWN && guard.unknownIsFailure());
    }

    private static Map<Probe, ProbeResult> initialProbes() {
        Map<Probe, ProbeResult> probes = new EnumMap<>(Probe.class);
        String pending = "no result yet: the monitor's first run is in progress";
        probes.put(Probe.LIVENESS, new ProbeResult(Probe.LIVENESS, true, pending, List.of(), List.of()));
        probes.put(Probe.READINESS, new ProbeResult(Probe.READINESS, false, pending, List.of(), List.of()));
        probes.put(Probe.STARTUP, new ProbeResult(Probe.STARTUP, false, pending, List.of(), List.of()));
        return probes;
    }

    private void announce(StatusChange change) {
        CheckResult r = change.current();
        boolean bad = r.status() == CheckStatus.WARN || r.status() == CheckStatus.FAIL || r.status() == CheckStatus.UNKNOWN;
        String from = change.previous().map(Enum::name).orElse("(first run)");
        if (bad) {
            LOG.warn("Database check {} changed {} -> {}: {}{}", r.checkId(), from, r.status(), r.summary(),
                    r.remediation().isEmpty() ? "" : " Fix: " + r.remediation());
        } else if (change.previous().isPresent()) {
            LOG.info("Database check {} changed {} -> {}: {}", r.checkId(), from, r.status(), r.summary());
        } else {
            LOG.debug("Database check {} is {}: {}", r.checkId(), r.status(), r.summary());
        }
        for (StatusListener listener : listeners) {
            try {
                listener.onChange(change);
            } catch (RuntimeException e) {
                LOG.warn("Status listener {} threw; ignored", listener, e);
            }
        }
    }

    private static void announceReadiness(ProbeResult before, ProbeResult now, boolean first) {
        if (!now.up() && (before.up() || first)) {
            LOG.warn("Readiness is DOWN: {}", now.reason());
        } else if (now.up() && !before.up()) {
            LOG.info("Readiness is UP{}", first ? "" : " again");
        }
    }
}
