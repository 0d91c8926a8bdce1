package io.ampora.dbguard.hikari.internal;

import io.ampora.dbguard.hikari.ExhaustionCause;
import io.ampora.dbguard.hikari.LeakReport;
import io.ampora.dbguard.hikari.LeaseInfo;
import io.ampora.dbguard.hikari.PoolGuardConfig;
import io.ampora.dbguard.hikari.PoolListener;
import io.ampora.dbguard.internal.jdbc.LayeredConnection;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tracks every lease of one pool: records it on borrow in a reusable {@link LeaseSlot} (the borrow-site stack
 * and a phantom reference on fully tracked borrows: sampled ones, every borrow once the pool runs hot, a leak
 * was seen or {@code reclaimUnclosed} is on), forgets it on close, and on its own daemon thread reports
 * leases held past the threshold and fully tracked connections that became unreachable without close().
 */
public final class LeaseTracker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("io.ampora.dbguard.hikari.LeakDetector");
    private static final int KEPT_REPORTS = 100;
    /** The tick interval's upper bound: lease ages are over by at most this much. */
    static final long MAX_TICK_MILLIS = 50;

    private final String pool;
    private final PoolGuardConfig config;
    private final IntSupplier maxPoolSize;
    private final DiagnosisSource diagnosis;
    private final long thresholdNanos;
    private final long scanMillis;
    private final long tickMillis;
    private final LeaseSlots active;
    private final ReferenceQueue<LayeredConnection> unreachable = new ReferenceQueue<>();
    private final int sampleEvery;
    private final boolean reclaim;
    private final AtomicLong heldTooLong = new AtomicLong();
    private final AtomicLong unclosed = new AtomicLong();
    private final Deque<LeakReport> reports = new ArrayDeque<>();
    private final Thread scanner;
    private volatile PoolMetrics metrics = PoolMetrics.NONE;
    private volatile boolean captureAll;
    private volatile boolean hot;
    private volatile boolean running = true;
    /** Whether every borrow reads the clock exactly: the hold-time metric needs it. */
    private volatile boolean exactClock;
    /**
     * The tracker's clock: {@link System#nanoTime()} as read by the scanner every tick interval. Borrows read
     * this field instead of the clock (a clock read costs about as much as the rest of the bookkeeping).
     */
    private volatile long tick = System.nanoTime();

    /**
     * @param pool        the pool name
     * @param config      the guard's configuration
     * @param maxPoolSize reads the pool's current maximumPoolSize
     * @param diagnosis   where pg_stat_activity is read from
     */
    public LeaseTracker(String pool, PoolGuardConfig config, IntSupplier maxPoolSize, DiagnosisSource diagnosis) {
        this.pool = pool;
        this.config = config;
        this.maxPoolSize = maxPoolSize;
        this.diagnosis = diagnosis;
        this.thresholdNanos = config.leakThreshold().toNanos();
        this.scanMillis = Math.max(10, Math.min(250, config.leakThreshold().toMillis() / 4));
        this.tickMillis = Math.min(scanMillis, MAX_TICK_MILLIS);
        this.captureAll = config.sampleEvery() == 1;
        this.sampleEvery = config.sampleEvery();
        this.reclaim = config.reclaimUnclosed();
        this.active = new LeaseSlots(maxPoolSize.getAsInt(), this);
        this.scanner = new Thread(this::scanLoop, "ampora-dbguard-leaks-" + pool);
        scanner.setDaemon(true);
        scanner.start();
    }

    /**
     * Publishes metrics through Micrometer when it is on the classpath and a registry is known.
     *
     * @param registry       the configured MeterRegistry, or null
     * @param hikariRegistry HikariCP's metricRegistry, or null
     */
    public void bindMetrics(Object registry, Object hikariRegistry) {
        this.metrics = PoolMetrics.create(registry, hikariRegistry, pool, () -> oldestLeaseAge().toNanos() / 1e9);
        this.exactClock = metrics.recordsHold();
    }

    /** @param cause the diagnosed cause of a borrow timeout, counted in the metrics */
    public void exhausted(ExhaustionCause cause) {
        metrics.exhausted(cause);
    }

    /**
     * Records a borrow in a reusable record: nothing is allocated unless this borrow is fully tracked (its
     * borrow site sampled, or every borrow once the pool runs hot, a leak was seen or {@code reclaimUnclosed}
     * is on), when a phantom reference watches the connection for an unclosed leak.
     * Call it from the borrowing method so that the captured stack holds the caller.
     *
     * @param proxy HikariCP's connection
     * @return the layer's connection to hand to the application
     */
    public LayeredConnection track(Connection proxy) {
        Connection physical = physicalOf(proxy);
        LeaseSlot slot = active.claim();
        LayeredConnection wrapper = LayeredConnection.of(proxy, slot);
        long now = tick;
        if (fullTracking() || slot.sampleDue(sampleEvery, now)) {
            trackFully(wrapper, slot, proxy, physical);
        } else {
            boolean exact = exactClock;
            slot.fill(Thread.currentThread(), exact ? System.nanoTime() : now, exact, null, physical, null);
        }
        return wrapper;
    }

    /**
     * A fully tracked borrow: its site, the exact clock and a phantom reference. Out of {@link #track} so that
     * the common borrow compiles small; with at most one sampled borrow per record per tick it runs rarely enough
     * that C2 does not inline it ("executed &lt; MinInliningThreshold times"): measured in
     * {@code docs/design/jdbc-layer.md}, "Session 13".
     */
    private void trackFully(LayeredConnection wrapper, LeaseSlot slot, Connection proxy, Connection physical) {
        Throwable site = new Throwable("borrow site");
        slot.fill(Thread.currentThread(), System.nanoTime(), true, site, physical, watch(wrapper, slot, proxy));
    }

    /**
     * @param proxy HikariCP's connection (or the driver's)
     * @return what it unwraps to: the driver's connection, which HikariCP's proxy no longer unwraps to once closed
     */
    static Connection physicalOf(Connection proxy) {
        try {
            return proxy.unwrap(Connection.class);
        } catch (SQLException | RuntimeException e) {
            return null;
        }
    }

    private LeaseRef watch(LayeredConnection wrapper, LeaseSlot slot, Connection proxy) {
        return new LeaseRef(wrapper, slot, slot.nextGeneration(), proxy, unreachable);
    }

    private boolean fullTracking() {
        return captureAll || hot || reclaim;
    }

    /**
     * The owner closes its connection, before HikariCP's proxy: the lease ends.
     *
     * @param slot its record
     * @param busy the record's state, read by the owner
     */
    void closing(LeaseSlot slot, long busy) {
        long generation = LeaseSlot.generation(busy);
        PoolMetrics m = metrics;
        boolean reported = slot.reported(generation);
        if (!m.recordsHold() && !reported) {
            slot.freeOwned(busy);
            active.released(slot);
            return;
        }
        closingObserved(slot, busy, m, reported);
    }

    /** The close of a lease that is timed or was reported: out of {@link #closing} to keep the common close small. */
    private void closingObserved(LeaseSlot slot, long busy, PoolMetrics m, boolean reported) {
        long held = System.nanoTime() - slot.borrowNanos();
        Lease lease = reported ? slot.snapshot() : null;
        if (lease != null) {
            lease.id();
            lease.backendPid();
        }
        slot.freeOwned(busy);
        active.released(slot);
        m.hold(held);
        if (lease != null) {
            publish(report(lease, LeakReport.Kind.RETURNED, held, List.of(), null));
        }
    }

    /** @return the leases now active, oldest first */
    public List<LeaseInfo> leases() {
        long now = System.nanoTime();
        List<Lease> snapshot = active.snapshot();
        snapshot.sort(Comparator.comparingLong(l -> l.borrowNanos));
        List<LeaseInfo> result = new ArrayList<>(snapshot.size());
        for (Lease l : snapshot) {
            result.add(new LeaseInfo(l.id(), l.backendPid(), l.threadName(), l.borrowedAt(),
                    Duration.ofNanos(l.ageNanos(now)), site(l)));
        }
        return result;
    }

    /** @return the live leases, for the exhaustion diagnosis */
    List<Lease> activeLeases() {
        return active.snapshot();
    }

    /** @return the number of leases now active */
    public int activeCount() {
        return active.size();
    }

    /** @return the age of the oldest active lease, zero when none */
    public Duration oldestLeaseAge() {
        long now = System.nanoTime();
        long oldest = 0;
        for (Lease l : active.snapshot()) {
            oldest = Math.max(oldest, l.ageNanos(now));
        }
        return Duration.ofNanos(oldest);
    }

    /** @return how many leases were reported as held past the threshold */
    public long heldTooLongCount() {
        return heldTooLong.get();
    }

    /** @return how many connections became unreachable without close() */
    public long unclosedCount() {
        return unclosed.get();
    }

    /** @return the most recent leak reports (up to 100), oldest first */
    public List<LeakReport> reports() {
        synchronized (reports) {
            return List.copyOf(reports);
        }
    }

    /** @return the configuration */
    public PoolGuardConfig config() {
        return config;
    }

    List<StackTraceElement> site(Lease lease) {
        return lease.site == null ? List.of() : StackFilter.application(lease.site.getStackTrace(), config.maxFrames());
    }

    private void scanLoop() {
        long nextScan = System.nanoTime() + scanMillis * 1_000_000;
        while (running) {
            try {
                Reference<? extends LayeredConnection> ref = unreachable.remove(tickMillis);
                long now = System.nanoTime();
                tick = now;
                while (ref != null) {
                    onUnreachable((LeaseRef) ref);
                    ref = unreachable.poll();
                }
                if (now - nextScan >= 0) {
                    scan();
                    // the scan may have waited for pg_stat_activity: do not leave the tick that far behind
                    tick = System.nanoTime();
                    nextScan = tick + scanMillis * 1_000_000;
                } else {
                    active.forEachSlot(slot -> slot.seen(now));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.debug("Leak scan of pool {} failed", pool, e);
            }
        }
    }

    private void onUnreachable(LeaseRef ref) {
        Lease lease = ref.slot.snapshot();
        if (lease == null || lease.generation != ref.generation || !ref.slot.freeIf(ref.generation)) {
            return;
        }
        active.released(ref.slot);
        if (lease.proxyClosed()) {
            // closed through HikariCP's proxy (unwrap): returned to the pool, not a leak
            return;
        }
        captureAll = true;
        unclosed.incrementAndGet();
        long held = System.nanoTime() - lease.borrowNanos;
        // the session's state first: after a reclaim it would only show the rollback
        SessionActivity activity = activityOf(List.of(lease)).get(lease.backendPid());
        boolean reclaimed = config.reclaimUnclosed() && reclaim(lease);
        publish(report(lease, LeakReport.Kind.UNCLOSED, held, List.of(), activity, reclaimed));
    }

    /**
     * Returns an unclosed connection to HikariCP: rolls back its open transaction (which would keep its locks
     * otherwise), then closes HikariCP's proxy. Nothing else can use the proxy any more unless the application
     * kept it through unwrap(), which is why this is opt-in.
     *
     * @return whether HikariCP's proxy was closed
     */
    private boolean reclaim(Lease lease) {
        Connection proxy = lease.proxy;
        try {
            // bounded: a server that stopped answering must not hold the leak tracker's thread (HikariCP
            // restores its own network timeout when the connection comes back)
            proxy.setNetworkTimeout(Runnable::run, (int) Math.min(Integer.MAX_VALUE, config.diagnosisTimeout().toMillis()));
        } catch (SQLException | RuntimeException e) {
            LOG.debug("Could not bound the rollback of lease {} in pool {}: {}", lease.id(), pool, e.getMessage());
        }
        try {
            if (!proxy.getAutoCommit()) {
                proxy.rollback();
            }
        } catch (SQLException | RuntimeException e) {
            LOG.warn("Could not roll back unclosed connection of lease {} in pool {} (closing it anyway): {}",
                    lease.id(), pool, e.getMessage());
        }
        try {
            proxy.close();
            return true;
        } catch (SQLException | RuntimeException e) {
            LOG.warn("Could not return unclosed connection of lease {} to pool {}: {}", lease.id(), pool, e.getMessage());
            return false;
        }
    }

    private void scan() {
        long now = System.nanoTime();
        List<Lease> overdue = new ArrayList<>();
        List<Lease> leases = active.snapshot();
        for (Lease lease : leases) {
            lease.slot.seen(now);
        }
        // the pool runs hot: capture every borrow site until it cools down (checked here, off the borrow path)
        hot = leases.size() * 100.0 >= config.hotPercent() * maxPoolSize.getAsInt();
        for (Lease lease : leases) {
            if (lease.slot.reported(lease.generation) || lease.minAgeNanos(now) < thresholdNanos) {
                continue;
            }
            if (lease.proxyClosed()) {
                // HikariCP's proxy was closed through unwrap, or found broken: the application still holds the
                // layer's connection, whose close (or unreachability) ends the lease; not reported
                continue;
            }
            overdue.add(lease);
        }
        if (overdue.isEmpty()) {
            return;
        }
        captureAll = true;
        Map<Integer, SessionActivity> activity = activityOf(overdue);
        for (Lease lease : overdue) {
            if (!lease.active()) {
                continue;
            }
            lease.slot.markReported(lease.generation);
            heldTooLong.incrementAndGet();
            List<StackTraceElement> holder = StackFilter.top(lease.thread.getStackTrace(), config.maxFrames());
            publish(report(lease, LeakReport.Kind.HELD_TOO_LONG, System.nanoTime() - lease.borrowNanos, holder,
                    activity.get(lease.backendPid())));
        }
    }

    private Map<Integer, SessionActivity> activityOf(List<Lease> leases) {
        Set<Integer> pids = new HashSet<>();
        for (Lease l : leases) {
            if (l.backendPid() > 0) {
                pids.add(l.backendPid());
            }
        }
        try {
            return diagnosis.activity(pids);
        } catch (SQLException e) {
            LOG.debug("Could not read pg_stat_activity for pool {}: {}", pool, e.getMessage());
            return Map.of();
        }
    }

    private LeakReport report(Lease lease, LeakReport.Kind kind, long heldNanos, List<StackTraceElement> holder,
                              SessionActivity activity) {
        return report(lease, kind, heldNanos, holder, activity, false);
    }

    private LeakReport report(Lease lease, LeakReport.Kind kind, long heldNanos, List<StackTraceElement> holder,
                              SessionActivity activity, boolean reclaimed) {
        return new LeakReport(kind, pool, lease.id(), lease.backendPid(), lease.threadName(),
                lease.borrowedAt(), Duration.ofNanos(heldNanos), site(lease), holder,
                activity == null ? "" : activity.state(), activity == null ? "" : activity.query(), reclaimed);
    }

    private void publish(LeakReport report) {
        if (report.kind() == LeakReport.Kind.RETURNED) {
            LOG.info(report.message());
        } else {
            LOG.warn(report.message());
            synchronized (reports) {
                if (reports.size() == KEPT_REPORTS) {
                    reports.removeFirst();
                }
                reports.addLast(report);
            }
        }
        metrics.leak(report.kind());
        for (PoolListener listener : config.listeners()) {
            try {
                listener.onLeak(report);
            } catch (RuntimeException e) {
                LOG.warn("Pool listener {} failed on a leak report", listener, e);
            }
        }
    }

    /** @return whether the pool runs hot or has leaked, so that every borrow site is captured */
    public boolean capturingAll() {
        return captureAll;
    }

    @Override
    public void close() {
        running = false;
        scanner.interrupt();
    }
}
