package io.ampora.dbguard.monitor;

import io.ampora.dbguard.DbGuardConfigurationException;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.internal.FleetChannel;
import io.ampora.dbguard.internal.FleetDigest;
import io.ampora.dbguard.internal.SettingValues;
import io.ampora.dbguard.monitor.ResultOrigin.Source;
import io.ampora.dbguard.report.Report;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
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
 * <p>Start one with {@link io.ampora.dbguard.DbGuard#monitor(MonitorConfig)}; serve it with
 * {@link io.ampora.dbguard.health.HealthServer} or plug {@link #probe(Probe)} into a framework's health
 * API. The first run covers every check at once; then each check runs on its interval (see
 * {@link MonitorConfig#intervalOf(DatabaseCheck)}), checks sharing an interval together. A check whose run
 * took more than a quarter of its interval backs off: its next run waits four times that run's duration,
 * rounded up to whole intervals and at most 16 intervals, and the monitor logs it once and says it in
 * {@link #origin(String)}; it returns to its interval once a run is short again. All runs happen one after
 * the other on a single daemon thread, so the monitor never holds more sessions than one report does
 * ({@code maxConcurrency}). A status change is logged once, with the reason, and told to the
 * {@link StatusListener}s; a steady state is not logged again.
 *
 * <p>Fleet coordination ({@link MonitorConfig.Builder#fleet(String)}): the monitors of one fleet elect,
 * per {@link CheckScope#DATABASE database-wide} check and interval, one runner through a PostgreSQL
 * advisory lock held by a session of the runner ({@code pg_try_advisory_lock}); the runner shares its
 * result with {@code NOTIFY} and every other monitor puts it in its report, with who ran it and when
 * ({@link #origin(String)}). Intervals are aligned on the wall clock, so the fleet's members try at the
 * same moments. The runner keeps the check while its session lives; when it dies (crash, terminated
 * session, network cut) the lock is gone and another instance takes the check at its next interval. A
 * monitor that cannot use the channel, or has heard no result of a check within two intervals, runs the
 * check itself and says why. Per-instance checks always run on every instance. Nothing is written to any
 * table: the channel's session is read-only.
 *
 * <p>Probes: a check affects the probes its {@link DatabaseCheck#probes()} name, unless
 * {@link MonitorConfig.Builder#probes(String, Probe...)} says otherwise. A probe is DOWN when one
 * of its checks is FAIL, or UNKNOWN and the guard counts UNKNOWN as failure; WARN and SKIP are UP.
 * Readiness is DOWN until the first run completes; startup is UP from the first run whose startup checks
 * pass, and stays UP (an orchestrator stops asking once it is).
 */
public final class DbGuardMonitor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DbGuardMonitor.class);
    private static final AtomicInteger THREADS = new AtomicInteger();
    /** Without a due check, the monitor still wakes up this often (closing, heard results need no wake-up). */
    private static final long MAX_SLEEP_MILLIS = 60_000;

    private final MonitoredGuard guard;
    private final MonitorConfig config;
    private final Map<String, DatabaseCheck> checks = new LinkedHashMap<>();
    private final ScheduledExecutorService scheduler;
    private final List<StatusListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong runs = new AtomicLong();
    /** Written only on the monitor thread. */
    private final Map<String, CheckResult> latest = new LinkedHashMap<>();
    private final Map<String, Instant> checkedAt = new LinkedHashMap<>();
    private final Map<String, ResultOrigin> origins = new LinkedHashMap<>();
    private final Map<String, Long> nextDue = new HashMap<>();
    private final Map<String, Duration> effective = new HashMap<>();
    /** When a result of a coordinated check was last had (heard or run here), epoch ms; any thread. */
    private final Map<String, Long> lastHad = new ConcurrentHashMap<>();
    /** The runner's announced interval per coordinated check; any thread. */
    private final Map<String, Duration> announced = new ConcurrentHashMap<>();
    /** Who ran the last result heard of a check and when, for the fallback's reason; any thread. */
    private final Map<String, String> lastHeard = new ConcurrentHashMap<>();
    /** The last payload this instance sent per check it runs for the fleet, re-sent to a joining instance. */
    private final Map<String, String> published = new ConcurrentHashMap<>();
    private final double phase;
    private final FleetChannel fleet;
    private final long startedMs = System.currentTimeMillis();
    /** Monitor thread only: when the channel first joined, and whether the current session is that one. */
    private long firstJoinAt;
    private boolean firstJoin = true;
    private String serverVersion = "";
    private volatile Snapshot snapshot;
    private volatile boolean closed;

    /**
     * What the probes read: immutable, replaced after every run.
     *
     * @param report    the last result of every check that has run, as one report
     * @param checkedAt when each check last ran
     * @param probes    each probe's answer
     * @param origins   where each result comes from
     */
    private record Snapshot(Report report, Map<String, Instant> checkedAt, Map<Probe, ProbeResult> probes,
                            Map<String, ResultOrigin> origins) {
    }

    private DbGuardMonitor(MonitoredGuard guard, MonitorConfig config) {
        this.guard = guard;
        this.config = config;
        guard.checks().forEach(c -> checks.put(c.id(), c));
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dbguard-monitor-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.snapshot = new Snapshot(null, Map.of(), initialProbes(), Map.of());
        // a fleet shares its phase, so its members try for a check at the same moments; a lone monitor
        // gets its own, so that monitors of unrelated services do not all hit the server at once
        String phaseKey = config.fleet().map(f -> "fleet\0" + f).orElse("monitor\0" + System.identityHashCode(this));
        this.phase = (FleetChannel.lockKey(phaseKey, "") >>> 11) / (double) (1L << 53);
        boolean coordinated = config.fleet().isPresent()
                && checks.values().stream().anyMatch(c -> c.scope() == CheckScope.DATABASE);
        this.fleet = coordinated ? new FleetChannel(guard.dataSource(), config.fleet().orElseThrow(), config.instance(),
                heartbeat(), this::onPayload, this::onJoin) : null;
    }

    /**
     * Starts monitoring; {@link io.ampora.dbguard.DbGuard#monitor(MonitorConfig)} is the usual way in.
     *
     * @param guard  the guard whose checks to run
     * @param config the intervals
     * @return the running monitor; the first run has started in the background
     * @throws DbGuardConfigurationException when the config names a check the guard does not run
     */
    public static DbGuardMonitor start(MonitoredGuard guard, MonitorConfig config) {
        Objects.requireNonNull(guard, "guard");
        Objects.requireNonNull(config, "config");
        List<String> ids = guard.checks().stream().map(DatabaseCheck::id).toList();
        for (String id : config.intervals().keySet()) {
            if (!ids.contains(id)) {
                throw new DbGuardConfigurationException("Monitor interval set for unknown check '" + id
                        + "'; this guard runs: " + String.join(", ", ids));
            }
        }
        for (String id : config.probes().keySet()) {
            if (!ids.contains(id)) {
                throw new DbGuardConfigurationException("Monitor probes set for unknown check '" + id
                        + "'; this guard runs: " + String.join(", ", ids));
            }
        }
        DbGuardMonitor monitor = new DbGuardMonitor(guard, config);
        monitor.schedule();
        return monitor;
    }

    private Duration heartbeat() {
        Duration shortest = checks.values().stream().filter(c -> c.scope() == CheckScope.DATABASE)
                .map(config::intervalOf).min(Duration::compareTo).orElse(config.defaultInterval());
        Duration half = shortest.dividedBy(2);
        Duration max = Duration.ofSeconds(5);
        Duration min = Duration.ofMillis(250);
        return half.compareTo(max) > 0 ? max : half.compareTo(min) < 0 ? min : half;
    }

    private void schedule() {
        long now = System.currentTimeMillis();
        Map<Duration, List<String>> groups = new TreeMap<>();
        for (DatabaseCheck check : checks.values()) {
            Duration interval = config.intervalOf(check);
            effective.put(check.id(), interval);
            nextDue.put(check.id(), now);
            groups.computeIfAbsent(interval, k -> new ArrayList<>()).add(check.id());
        }
        scheduler.execute(this::tick);
        LOG.info("Monitoring {} database checks: {}{}", checks.size(), groups.entrySet().stream()
                .map(e -> e.getValue() + " every " + SettingValues.format(e.getKey()))
                .collect(Collectors.joining("; ")),
                fleet == null ? "" : "; database-wide checks coordinated in fleet '" + config.fleet().orElseThrow()
                        + "' as " + config.instance());
    }

    /** @return the guard whose checks this monitor runs */
    public MonitoredGuard guard() {
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
     * Where the current result of a check comes from: this instance or another of the fleet, when, and why.
     *
     * @param checkId the check's id
     * @return the origin, empty if there is no result yet
     */
    public Optional<ResultOrigin> origin(String checkId) {
        return Optional.ofNullable(snapshot.origins().get(checkId));
    }

    /** @return the origin of every current result, by check id in report order */
    public Map<String, ResultOrigin> origins() {
        return snapshot.origins();
    }

    /**
     * The backend pid of the session this monitor coordinates its fleet through: an operator (or a test)
     * can find it in {@code pg_stat_activity}.
     *
     * @return the pid, empty without fleet coordination or while the session is down
     */
    public Optional<Integer> fleetSessionPid() {
        return fleet == null || fleet.backendPid() == 0 ? Optional.empty() : Optional.of(fleet.backendPid());
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

    /** @return how many runs (of all checks, or of the checks due at one moment) have completed here */
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
     * Runs every check now on this instance (database-wide ones too, even in a fleet), on the monitor's
     * thread after any run in progress, and waits for it. Use it after a deployment step or in tests;
     * probes are never refreshed per request.
     *
     * @return the merged report after the run
     * @throws IllegalStateException when the monitor is closed or the wait is interrupted
     */
    public Report refresh() {
        if (closed) {
            throw new IllegalStateException("The monitor is closed; start a new one with DbGuard.monitor(...)");
        }
        Future<?> done = scheduler.submit(() -> {
            Map<String, Source> sources = new HashMap<>();
            checks.keySet().forEach(id -> sources.put(id, Source.THIS_INSTANCE));
            runLocally(sources, Map.of(), Set.of());
        });
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

    /**
     * Stops the background runs; a run in progress is interrupted. In a fleet, the checks this instance
     * ran go to other instances at their next interval. Calling it again does nothing.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        scheduler.shutdownNow();
        if (fleet != null) {
            fleet.close();
        }
        try {
            if (!scheduler.awaitTermination(2, TimeUnit.SECONDS)) {
                LOG.debug("The database monitor's run in progress did not stop within 2 s; its thread is a daemon");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void tick() {
        if (closed) {
            return;
        }
        try {
            long now = System.currentTimeMillis();
            List<String> due = new ArrayList<>();
            for (String id : checks.keySet()) {
                if (nextDue.get(id) <= now) {
                    due.add(id);
                }
            }
            if (!due.isEmpty()) {
                runDue(due);
            }
        } catch (Throwable t) {
            // the guard never throws for a database problem: this is a bug, and the next run must still happen
            LOG.error("Database monitor run failed; the previous results stay in place", t);
        } finally {
            if (!closed) {
                long next = nextDue.values().stream().mapToLong(Long::longValue).min().orElse(Long.MAX_VALUE);
                long delay = Math.max(1, Math.min(MAX_SLEEP_MILLIS, next - System.currentTimeMillis()));
                try {
                    scheduler.schedule(this::tick, delay, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // closed meanwhile
                }
            }
        }
    }

    private void runDue(List<String> due) {
        List<String> coordinated = new ArrayList<>();
        Map<String, Source> sources = new LinkedHashMap<>();
        Map<String, String> notes = new HashMap<>();
        for (String id : due) {
            if (fleet != null && checks.get(id).scope() == CheckScope.DATABASE) {
                coordinated.add(id);
            } else {
                sources.put(id, Source.THIS_INSTANCE);
            }
        }
        Set<String> led = Set.of();
        if (!coordinated.isEmpty()) {
            awaitFirstJoin();
            String down = fleet.downReason();
            // a (re)joining instance listens for one interval before it competes: it does not take checks
            // from a fleet that runs them, and a runner whose session was killed leaves them to another
            long eligibleAt = fleet.joinedAtMillis() + (firstJoin ? 0 : quietPeriod().toMillis());
            boolean eligible = System.currentTimeMillis() >= eligibleAt;
            if (down == null && eligible) {
                try {
                    led = fleet.lead(coordinated);
                } catch (SQLException e) {
                    down = Optional.ofNullable(fleet.downReason()).orElse(String.valueOf(e.getMessage()));
                }
            }
            long now = System.currentTimeMillis();
            for (String id : coordinated) {
                if (down == null && !eligible && !stale(id, now)) {
                    reschedule(id, effective.get(id));
                    nextDue.put(id, Math.min(nextDue.get(id), eligibleAt));
                } else if (down != null) {
                    sources.put(id, Source.FALLBACK);
                    notes.put(id, "Ran on this instance: the fleet channel is down (" + down + ").");
                } else if (led.contains(id)) {
                    sources.put(id, Source.ELECTED);
                } else if (stale(id, now)) {
                    sources.put(id, Source.FALLBACK);
                    notes.put(id, "Ran on this instance: no result of fleet '" + config.fleet().orElseThrow()
                            + "' heard within two intervals (" + SettingValues.format(limit(id).dividedBy(2)) + " each; "
                            + Optional.ofNullable(lastHeard.get(id)).map(h -> "last heard " + h)
                            .orElse("none heard since this monitor started") + ").");
                } else {
                    reschedule(id, effective.get(id));
                }
            }
        }
        if (!sources.isEmpty()) {
            runLocally(sources, notes, led);
        }
    }

    /**
     * A fleet monitor's first run waits briefly for its channel, so that a starting fleet does not all fall
     * back. The first join competes at once (a fleet starting together elects at its first run); it asks
     * the fleet for its current results, so a runner that exists answers before the first interval ends.
     */
    private void awaitFirstJoin() {
        long until = startedMs + Math.min(5_000, config.defaultInterval().toMillis());
        while (fleet.downReason() != null && System.currentTimeMillis() < until && !closed) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (firstJoinAt == 0 && fleet.downReason() == null) {
            firstJoinAt = fleet.joinedAtMillis();
        }
        firstJoin = fleet.joinedAtMillis() == firstJoinAt;
    }

    private Duration quietPeriod() {
        return checks.values().stream().filter(c -> c.scope() == CheckScope.DATABASE).map(c -> effective.get(c.id()))
                .min(Duration::compareTo).orElse(config.defaultInterval());
    }

    private Duration limit(String id) {
        Duration interval = effective.get(id);
        Duration runner = announced.getOrDefault(id, interval);
        return (runner.compareTo(interval) > 0 ? runner : interval).multipliedBy(2);
    }

    private boolean stale(String id, long now) {
        return now - lastHad.getOrDefault(id, startedMs) > limit(id).toMillis();
    }

    private void runLocally(Map<String, Source> sources, Map<String, String> notes, Set<String> led) {
        Report report = guard.report(sources.keySet());
        runs.incrementAndGet();
        // milliseconds, as the fleet message carries it: the runner and its fleet show the same time
        Instant at = report.startedAt().plus(report.duration()).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        List<CheckResult> results = new ArrayList<>();
        List<ResultOrigin> made = new ArrayList<>();
        for (CheckResult result : report.checks()) {
            String id = result.checkId();
            DatabaseCheck check = checks.get(id);
            Duration base = config.intervalOf(check);
            Duration next = backOff(check, base, result.duration());
            String note = notes.getOrDefault(id, "");
            if (next.compareTo(base) > 0) {
                note = (note.isEmpty() ? "" : note + " ") + "Backing off: the last run took "
                        + SettingValues.format(result.duration()) + ", more than a quarter of its interval of "
                        + SettingValues.format(base) + "; next run in " + SettingValues.format(next) + ".";
            }
            if (!next.equals(effective.get(id))) {
                if (next.compareTo(base) > 0) {
                    LOG.info("Database check {}: {}", id, note);
                } else {
                    LOG.info("Database check {} is fast again ({}); back to its interval of {}", id,
                            SettingValues.format(result.duration()), SettingValues.format(base));
                }
            }
            effective.put(id, next);
            reschedule(id, next);
            if (fleet != null && check.scope() == CheckScope.DATABASE) {
                lastHad.put(id, at.toEpochMilli());
            }
            results.add(result);
            made.add(new ResultOrigin(id, check.scope(), sources.get(id), config.instance(), at, next, note, 0));
        }
        apply(results, made, report.startedAt(), report.duration(), report.serverVersion());
        for (int i = 0; i < results.size(); i++) {
            CheckResult result = results.get(i);
            if (led.contains(result.checkId())) {
                String payload = FleetDigest.encode(result, config.instance(), at, made.get(i).interval());
                published.put(result.checkId(), payload);
                try {
                    fleet.publish(payload);
                } catch (SQLException e) {
                    LOG.debug("Could not share the result of {} with the fleet: {}", result.checkId(), e.getMessage());
                }
            }
        }
    }

    private static Duration backOff(DatabaseCheck check, Duration base, Duration took) {
        if (took.toNanos() <= base.toNanos() * MonitorConfig.BACK_OFF_SHARE) {
            return base;
        }
        long factor = (took.toNanos() * 4 + base.toNanos() - 1) / base.toNanos();
        return base.multipliedBy(Math.max(1, Math.min(MonitorConfig.MAX_BACK_OFF_FACTOR, factor)));
    }

    /** The next wall-clock boundary of the interval, shifted by the monitor's (or fleet's) phase. */
    private void reschedule(String id, Duration interval) {
        long ms = interval.toMillis();
        long offset = (long) (phase * ms);
        long now = System.currentTimeMillis();
        long next = Math.floorDiv(now - offset, ms) * ms + offset + ms;
        nextDue.put(id, next);
    }

    private void onJoin() {
        try {
            fleet.publish(FleetDigest.request(config.instance()));
        } catch (SQLException e) {
            LOG.debug("Could not ask the fleet for its current results: {}", e.getMessage());
        }
    }

    /** On the channel's thread: a message from another instance. */
    private void onPayload(String payload) {
        Optional<FleetDigest.Message> decoded = FleetDigest.decode(payload, id -> Optional.ofNullable(checks.get(id))
                .filter(c -> c.scope() == CheckScope.DATABASE).map(DatabaseCheck::runbook));
        if (decoded.isEmpty()) {
            return;
        }
        FleetDigest.Message message = decoded.get();
        if (message.request()) {
            for (Map.Entry<String, String> e : published.entrySet()) {
                try {
                    if (fleet.leads(e.getKey())) {
                        fleet.publish(e.getValue());
                    }
                } catch (SQLException ex) {
                    return;
                }
            }
            return;
        }
        lastHad.merge(message.checkId(), System.currentTimeMillis(), Math::max);
        announced.put(message.checkId(), message.interval());
        lastHeard.put(message.checkId(), "from " + message.ranBy() + ", run at " + message.ranAt());
        try {
            scheduler.execute(() -> heard(message));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    private void heard(FleetDigest.Message message) {
        if (closed) {
            return;
        }
        Instant current = checkedAt.get(message.checkId());
        if (current != null && !message.ranAt().isAfter(current)) {
            return;
        }
        CheckResult result = message.result().orElseThrow();
        DatabaseCheck check = checks.get(message.checkId());
        String note = message.findingsOmitted() == 0 ? "" : message.findingsOmitted()
                + " more finding(s) did not fit into the fleet message; see the report of " + message.ranBy() + ".";
        ResultOrigin origin = new ResultOrigin(check.id(), check.scope(), Source.FLEET, message.ranBy(), message.ranAt(),
                message.interval(), note, message.findingsOmitted());
        apply(List.of(result), List.of(origin), message.ranAt().minus(result.duration()), result.duration(), "");
    }

    private void apply(List<CheckResult> results, List<ResultOrigin> made, Instant startedAt, Duration duration,
                       String version) {
        List<StatusChange> changes = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            CheckResult result = results.get(i);
            ResultOrigin origin = made.get(i);
            CheckResult before = latest.put(result.checkId(), result);
            checkedAt.put(result.checkId(), origin.ranAt());
            origins.put(result.checkId(), origin);
            if (before == null || before.status() != result.status()) {
                changes.add(new StatusChange(result.checkId(),
                        Optional.ofNullable(before).map(CheckResult::status), result, origin.ranAt()));
            }
        }
        if (!version.isEmpty()) {
            serverVersion = version;
        }
        List<CheckResult> ordered = new ArrayList<>();
        Map<String, ResultOrigin> orderedOrigins = new LinkedHashMap<>();
        for (String id : checks.keySet()) {
            CheckResult r = latest.get(id);
            if (r != null) {
                ordered.add(r);
                orderedOrigins.put(id, origins.get(id));
            }
        }
        Report merged = new Report(Report.overall(ordered, guard.unknownIsFailure()), startedAt, duration, ordered,
                serverVersion, guard.options().connection().maskedUrl());
        Snapshot previous = snapshot;
        Snapshot next = new Snapshot(merged, Map.copyOf(checkedAt), probes(ordered, previous),
                java.util.Collections.unmodifiableMap(orderedOrigins));
        snapshot = next;
        changes.forEach(this::announce);
        announceReadiness(previous.probes().get(Probe.READINESS), next.probes().get(Probe.READINESS),
                previous.report() == null);
    }

    private Map<Probe, ProbeResult> probes(List<CheckResult> results, Snapshot previous) {
        Map<Probe, ProbeResult> probes = new EnumMap<>(Probe.class);
        // in a fleet, a database-wide check another instance runs may not have been heard yet: the first
        // complete run is this instance's own
        boolean complete = checks.values().stream()
                .filter(c -> fleet == null || c.scope() == CheckScope.INSTANCE || latest.containsKey(c.id()))
                .allMatch(c -> latest.containsKey(c.id()));
        for (Probe probe : Probe.values()) {
            List<CheckResult> affecting = results.stream()
                    .filter(r -> config.probesOf(checks.get(r.checkId())).contains(probe))
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
