package io.ampora.dbguard.hikari.internal;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.ampora.dbguard.hikari.ExhaustionCause;
import io.ampora.dbguard.hikari.PoolDiagnosis;
import io.ampora.dbguard.internal.SecretMasker;
import io.ampora.dbguard.internal.SettingValues;
import io.ampora.dbguard.runbook.connections.ConnectionDiagnosis;
import io.ampora.dbguard.runbook.connections.ConnectionFailure;
import io.ampora.dbguard.runbook.connections.ConnectionFailureClassifier;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

/**
 * Names why a borrow timed out, from what HikariCP says (the last connection failure), the leases the
 * tracker holds and what {@code pg_stat_activity} shows of their sessions, read on a separate non-pooled
 * connection. Concurrent timeouts share one diagnosis computed at most once per second.
 */
public final class ExhaustionDiagnoser {

    private static final int MAX_EVIDENCE = 10;
    private static final long REUSE_NANOS = 1_000_000_000L;
    /** How long an empty lease snapshot is read again while HikariCP counts active connections (see holders()). */
    private static final int HANDOFF_WAIT_MILLIS = 20;
    /** Failures of a diagnosis connection that mean the database cannot be reached at all. */
    private static final Set<ConnectionFailure> NETWORK_FAILURES = EnumSet.of(ConnectionFailure.TIMEOUT,
            ConnectionFailure.CONNECTION_REFUSED, ConnectionFailure.NETWORK_UNREACHABLE, ConnectionFailure.HOST_UNRESOLVABLE,
            ConnectionFailure.SERVER_STARTING_OR_RECOVERING);

    private final HikariDataSource hikari;
    private final LeaseTracker tracker;
    private final DiagnosisSource source;
    private final int instances;
    private PoolDiagnosis last;
    private long lastNanos;

    /**
     * @param hikari    the pool
     * @param tracker   its leases
     * @param source    where diagnosis queries run
     * @param instances how many instances run this pool
     */
    public ExhaustionDiagnoser(HikariDataSource hikari, LeaseTracker tracker, DiagnosisSource source, int instances) {
        this.hikari = hikari;
        this.tracker = tracker;
        this.source = source;
        this.instances = instances;
    }

    /**
     * Diagnoses a borrow timeout on the thread that got it.
     *
     * @param timeout what HikariCP threw
     * @return the diagnosis
     */
    public PoolDiagnosis diagnose(SQLException timeout) {
        Thread me = Thread.currentThread();
        List<Lease> leases = holders();
        List<Lease> mine = leases.stream().filter(l -> l.thread == me).toList();
        if (!mine.isEmpty() && timeout.getCause() == null) {
            return nested(mine, leases, true);
        }
        synchronized (this) {
            if (last != null && System.nanoTime() - lastNanos < REUSE_NANOS) {
                return last;
            }
            last = compute(timeout.getCause(), leases);
            lastNanos = System.nanoTime();
            return last;
        }
    }

    /**
     * The tracked leases now. HikariCP hands a returned connection straight to a waiting borrower, whose lease is
     * filled only once that thread runs again: with every connection in such a hand-off a snapshot sees no holder
     * (a pool of one under load). So an empty snapshot while HikariCP counts active connections is read again
     * for up to {@link #HANDOFF_WAIT_MILLIS} ms; a pool used around the GuardedPool shows no holder for longer.
     */
    private List<Lease> holders() {
        List<Lease> leases = tracker.activeLeases();
        for (int i = 0; leases.isEmpty() && i < HANDOFF_WAIT_MILLIS && activeConnections() > 0; i++) {
            LockSupport.parkNanos(1_000_000);
            leases = tracker.activeLeases();
        }
        return leases;
    }

    private int activeConnections() {
        HikariPoolMXBean mx = hikari.getHikariPoolMXBean();
        return mx == null ? 0 : mx.getActiveConnections();
    }

    private PoolDiagnosis compute(Throwable failure, List<Lease> leases) {
        if (failure != null) {
            ConnectionDiagnosis d = ConnectionFailureClassifier.classify(failure);
            return switch (d.cause()) {
                case TOO_MANY_CLIENTS -> fleet(d);
                case ROLE_CONNECTION_LIMIT, DATABASE_CONNECTION_LIMIT -> connectionLimit(d);
                default -> unreachable(d);
            };
        }
        List<Lease> waitingHolders = leases.stream().filter(l -> waitingForConnection(l.thread)).toList();
        if (!waitingHolders.isEmpty()) {
            return nested(waitingHolders, leases, false);
        }
        int total = hikari.getHikariPoolMXBean().getTotalConnections();
        if (total < hikari.getMaximumPoolSize()) {
            // the pool is not full, so the borrowers did not use it up: HikariCP could not open a connection
            // within connectionTimeout (its attempt is still pending, so its exception has no cause yet)
            return cannotGrow(total);
        }
        if (leases.isEmpty()) {
            return new PoolDiagnosis(ExhaustionCause.POOL_UNDERSIZED, "No tracked lease holds a connection of the "
                    + hikari.getMaximumPoolSize() + "; they are borrowed from the HikariDataSource directly, bypassing"
                    + " the GuardedPool.", List.of(), "Hand the GuardedPool, not the HikariDataSource, to every user of the pool.");
        }
        Map<Integer, SessionActivity> activity = Map.of();
        String hidden = null;
        Set<Integer> pids = new HashSet<>();
        leases.forEach(l -> pids.add(l.backendPid()));
        try {
            activity = source.activity(pids);
        } catch (SQLException e) {
            ConnectionDiagnosis d = ConnectionFailureClassifier.classify(e);
            if (NETWORK_FAILURES.contains(d.cause())) {
                // the holders are not running long queries: they wait in the driver for a server that does not
                // answer, and a fresh connection to it fails the same way
                return unreachable(d, leases);
            }
            hidden = e.getMessage();
        }
        if (!source.available()) {
            hidden = source.unavailableReason();
        }
        long now = System.nanoTime();
        long oldAfter = Math.min(tracker.config().leakThreshold().toNanos(), hikari.getConnectionTimeout() * 1_000_000L);
        List<Lease> busy = new ArrayList<>();
        List<Lease> unusedOld = new ArrayList<>();
        for (Lease l : leases) {
            SessionActivity a = activity.get(l.backendPid());
            boolean inDatabase = a != null ? a.busy() : activity.isEmpty() && inDriver(l.thread);
            boolean unused = a != null ? a.unused() : activity.isEmpty() && !inDatabase;
            if (inDatabase) {
                busy.add(l);
            } else if (unused && l.minAgeNanos(now) >= oldAfter) {
                unusedOld.add(l);
            }
        }
        String visibility = hidden == null ? "" : " (pg_stat_activity could not be read: " + hidden
                + "; judged from the holders' stacks)";
        if (busy.size() * 2 >= leases.size()) {
            return longRunning(busy, leases.size(), activity, now, visibility);
        }
        if (unusedOld.size() * 2 >= leases.size()) {
            return leak(unusedOld, leases.size(), activity, now, visibility);
        }
        return undersized(leases, now);
    }

    private PoolDiagnosis fleet(ConnectionDiagnosis d) {
        int size = hikari.getMaximumPoolSize();
        long needed = (long) instances * size;
        ServerLimits limits = source.lastLimits();
        List<String> evidence = new ArrayList<>();
        evidence.add("The server refused a new connection: " + SecretMasker.patternsOnly().mask(d.driverMessage()) + " (SQLState " + d.sqlState() + ")");
        String arithmetic;
        if (limits != null) {
            arithmetic = instances + " instance" + (instances == 1 ? "" : "s") + " x " + size + " = " + needed
                    + " needed, " + limits.usable() + " available";
            evidence.add(limits.arithmetic() + " (read earlier)");
        } else {
            arithmetic = instances + " instance" + (instances == 1 ? "" : "s") + " x " + size + " = " + needed
                    + " needed; max_connections could not be read";
        }
        evidence.add("This instance holds " + tracker.activeCount() + " connections; HikariCP has "
                + hikari.getHikariPoolMXBean().getTotalConnections() + " open of maximumPoolSize " + size);
        int fit = limits == null ? 0 : limits.usable() / Math.max(1, instances);
        String remediation = ExhaustionCause.FLEET_BUDGET_EXCEEDED.remediation()
                + (limits == null ? "" : " With " + instances + " instance(s) and " + limits.usable()
                + " usable slots, maximumPoolSize must be at most " + fit + " (less, for other applications' sessions).");
        return new PoolDiagnosis(ExhaustionCause.FLEET_BUDGET_EXCEEDED, "The server has no free connection slots: "
                + arithmetic + ".", evidence, remediation);
    }

    /** The role's or database's own CONNECTION LIMIT refused the pool: the server's slots are not the limit. */
    private PoolDiagnosis connectionLimit(ConnectionDiagnosis d) {
        int size = hikari.getMaximumPoolSize();
        long needed = (long) instances * size;
        String which = d.cause() == ConnectionFailure.ROLE_CONNECTION_LIMIT ? "role's" : "database's";
        List<String> evidence = List.of(
                "The server refused a new connection: " + SecretMasker.patternsOnly().mask(d.driverMessage())
                        + " (SQLState " + d.sqlState() + ")",
                "This instance holds " + tracker.activeCount() + " connections; HikariCP has "
                        + hikari.getHikariPoolMXBean().getTotalConnections() + " open of maximumPoolSize " + size,
                instances + " instance" + (instances == 1 ? "" : "s") + " x " + size + " = " + needed
                        + " connections the pools may open");
        return new PoolDiagnosis(ExhaustionCause.FLEET_BUDGET_EXCEEDED, "The " + which + " CONNECTION LIMIT refused a"
                + " new connection (the server itself may have free slots): " + d.cause().meaning() + ".", evidence,
                ConnectionFailureClassifier.remediation(d, hikari.getUsername(), null));
    }

    private PoolDiagnosis unreachable(ConnectionDiagnosis d) {
        return new PoolDiagnosis(ExhaustionCause.DATABASE_UNREACHABLE,
                "The pool cannot create connections: " + d.cause().meaning() + ".",
                List.of("Cause " + d.cause() + ": " + SecretMasker.patternsOnly().mask(d.driverMessage())
                        + (d.sqlState().isEmpty() ? "" : " (SQLState " + d.sqlState() + ")")),
                ConnectionFailureClassifier.remediation(d, hikari.getUsername(), null));
    }

    /** The database cannot be reached while connections are borrowed: name the failure, list the stuck holders. */
    private PoolDiagnosis unreachable(ConnectionDiagnosis d, List<Lease> leases) {
        List<String> evidence = new ArrayList<>();
        evidence.add("A diagnosis connection failed with cause " + d.cause() + ": "
                + SecretMasker.patternsOnly().mask(d.driverMessage()) + (d.sqlState().isEmpty() ? "" : " (SQLState " + d.sqlState() + ")"));
        long now = System.nanoTime();
        List<Lease> sorted = new ArrayList<>(leases);
        sorted.sort(Comparator.comparingLong(l -> l.borrowNanos));
        for (Lease l : sorted.subList(0, Math.min(MAX_EVIDENCE - 1, sorted.size()))) {
            evidence.add("Thread '" + l.threadName() + "' holds lease " + l.id() + pid(l) + " for "
                    + millis(l.ageNanos(now) / 1_000_000) + (inDriver(l.thread) ? ", waiting in the driver" : ""));
        }
        return new PoolDiagnosis(ExhaustionCause.DATABASE_UNREACHABLE, "The database cannot be reached: "
                + d.cause().meaning() + "; all " + leases.size() + " borrowed connections are held by threads that"
                + " cannot finish.", evidence, ConnectionFailureClassifier.remediation(d, hikari.getUsername(), null));
    }

    /** The pool is below maximumPoolSize and still timed out: opening a connection takes longer than connectionTimeout. */
    private PoolDiagnosis cannotGrow(int total) {
        String waited = "HikariCP has " + total + " of maximumPoolSize " + hikari.getMaximumPoolSize()
                + " connections open and could not open another within connectionTimeout " + millis(hikari.getConnectionTimeout());
        if (source.available()) {
            try {
                source.limits();
            } catch (SQLException e) {
                ConnectionDiagnosis d = ConnectionFailureClassifier.classify(e);
                return new PoolDiagnosis(ExhaustionCause.DATABASE_UNREACHABLE, "The pool cannot create connections: "
                        + d.cause().meaning() + ".", List.of(waited, "A diagnosis connection failed with cause " + d.cause()
                        + ": " + SecretMasker.patternsOnly().mask(d.driverMessage())
                        + (d.sqlState().isEmpty() ? "" : " (SQLState " + d.sqlState() + ")")),
                ConnectionFailureClassifier.remediation(d, hikari.getUsername(), null));
            }
            return new PoolDiagnosis(ExhaustionCause.DATABASE_UNREACHABLE, "The pool could not create a connection in"
                    + " time; a diagnosis connection opened just after, so opening a connection is slower than"
                    + " connectionTimeout or the database was unreachable for a moment.", List.of(waited),
                    "Check the network latency, TLS and authentication time to the database, or raise connectionTimeout.");
        }
        return new PoolDiagnosis(ExhaustionCause.DATABASE_UNREACHABLE, "The pool could not create a connection in time.",
                List.of(waited, "The database could not be probed: " + source.unavailableReason()),
                ExhaustionCause.DATABASE_UNREACHABLE.remediation());
    }

    private PoolDiagnosis nested(List<Lease> holders, List<Lease> all, boolean currentThread) {
        List<String> evidence = new ArrayList<>();
        for (Lease l : holders.subList(0, Math.min(MAX_EVIDENCE, holders.size()))) {
            evidence.add("Thread '" + l.threadName() + "' holds lease " + l.id() + pid(l) + " borrowed at "
                    + firstFrames(l, 3) + " and waits for another connection");
        }
        String who = currentThread ? "This thread ('" + Thread.currentThread().getName() + "') already holds "
                + holders.size() + " connection(s) and waited for another"
                : holders.size() + " thread(s) that hold a connection wait for a second one";
        return new PoolDiagnosis(ExhaustionCause.NESTED_ACQUISITION, who + "; " + all.size() + " of "
                + hikari.getMaximumPoolSize() + " connections are borrowed.", evidence, null);
    }

    private PoolDiagnosis longRunning(List<Lease> busy, int total, Map<Integer, SessionActivity> activity, long now,
                                      String visibility) {
        List<String> evidence = new ArrayList<>();
        busy.sort(Comparator.comparingLong(l -> l.borrowNanos));
        for (Lease l : busy.subList(0, Math.min(MAX_EVIDENCE, busy.size()))) {
            SessionActivity a = activity.get(l.backendPid());
            StringBuilder line = new StringBuilder("pid " + l.backendPid());
            if (a != null) {
                line.append(" active for ").append(millis(a.queryMillis()));
                if (!a.waitEventType().isEmpty()) {
                    line.append(" (waiting on ").append(a.waitEventType()).append('/').append(a.waitEvent()).append(')');
                }
                line.append(": ").append(abbreviate(a.query()));
            } else {
                line.append(" held for ").append(millis(l.ageNanos(now) / 1_000_000)).append(", thread in the driver");
            }
            line.append(" (thread '").append(l.threadName()).append("')");
            evidence.add(line.toString());
        }
        return new PoolDiagnosis(ExhaustionCause.LONG_RUNNING_QUERIES, busy.size() + " of " + total
                + " borrowed connections are running queries in the database" + visibility + ".", evidence, null);
    }

    private PoolDiagnosis leak(List<Lease> unused, int total, Map<Integer, SessionActivity> activity, long now,
                               String visibility) {
        Map<String, List<Lease>> bySite = new LinkedHashMap<>();
        unused.sort(Comparator.comparingLong(l -> l.borrowNanos));
        for (Lease l : unused) {
            bySite.computeIfAbsent(firstFrames(l, 3), k -> new ArrayList<>()).add(l);
        }
        List<Map.Entry<String, List<Lease>>> sites = new ArrayList<>(bySite.entrySet());
        sites.sort(Comparator.comparingInt((Map.Entry<String, List<Lease>> e) -> e.getValue().size()).reversed());
        List<String> evidence = new ArrayList<>();
        for (Map.Entry<String, List<Lease>> site : sites.subList(0, Math.min(MAX_EVIDENCE, sites.size()))) {
            Lease oldest = site.getValue().get(0);
            SessionActivity a = activity.get(oldest.backendPid());
            evidence.add(site.getValue().size() + " connection(s) borrowed at " + site.getKey() + ", oldest held "
                    + millis(oldest.ageNanos(now) / 1_000_000) + " by thread '" + oldest.threadName() + "'" + pid(oldest)
                    + (a == null ? "" : ", session '" + a.state() + "'"));
        }
        return new PoolDiagnosis(ExhaustionCause.LEAK, unused.size() + " of " + total
                + " borrowed connections are held without being used in the database" + visibility + ".", evidence, null);
    }

    private PoolDiagnosis undersized(List<Lease> leases, long now) {
        long oldest = leases.stream().mapToLong(l -> l.ageNanos(now)).max().orElse(0) / 1_000_000;
        return new PoolDiagnosis(ExhaustionCause.POOL_UNDERSIZED, "All " + leases.size() + " borrowed connections"
                + " are in short use (oldest " + millis(oldest) + "); "
                + hikari.getHikariPoolMXBean().getThreadsAwaitingConnection() + " threads wait for one of "
                + hikari.getMaximumPoolSize() + ".",
                List.of("maximumPoolSize " + hikari.getMaximumPoolSize() + ", connectionTimeout "
                        + millis(hikari.getConnectionTimeout()) + ", oldest lease " + millis(oldest)), null);
    }

    private String firstFrames(Lease l, int n) {
        List<StackTraceElement> site = tracker.site(l);
        if (site.isEmpty()) {
            return "(borrow site not sampled)";
        }
        StringBuilder s = new StringBuilder();
        for (StackTraceElement e : site.subList(0, Math.min(n, site.size()))) {
            s.append(s.length() == 0 ? "" : " <- ").append(e);
        }
        return s.toString();
    }

    private static String pid(Lease l) {
        return l.backendPid() > 0 ? " (pid " + l.backendPid() + ")" : "";
    }

    private static boolean waitingForConnection(Thread t) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().equals("io.ampora.dbguard.hikari.GuardedPool") && e.getMethodName().equals("getConnection")) {
                return true;
            }
        }
        return false;
    }

    /** Without pg_stat_activity: a holder whose stack is inside pgjdbc is waiting for the server. */
    private static boolean inDriver(Thread t) {
        StackTraceElement[] stack = t.getStackTrace();
        for (int i = 0; i < Math.min(stack.length, 30); i++) {
            if (stack[i].getClassName().startsWith("org.postgresql.core.")) {
                return true;
            }
        }
        return false;
    }

    private static String abbreviate(String query) {
        String q = query.replaceAll("\\s+", " ").trim();
        return q.length() > 200 ? q.substring(0, 200) + "..." : q;
    }

    static String millis(long ms) {
        return SettingValues.format(Duration.ofMillis(ms));
    }

    /** @return a duration as every message of the project shows it ({@link SettingValues#format}) */
    static String format(Duration d) {
        return SettingValues.format(d);
    }
}
