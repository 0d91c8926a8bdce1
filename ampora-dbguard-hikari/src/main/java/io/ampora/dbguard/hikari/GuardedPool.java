package io.ampora.dbguard.hikari;

import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.hikari.internal.DiagnosisSource;
import io.ampora.dbguard.hikari.internal.ExhaustionDiagnoser;
import io.ampora.dbguard.hikari.internal.LeaseTracker;
import io.ampora.dbguard.internal.jdbc.DelegatingDataSource;
import java.io.Closeable;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.LoggerFactory;

/**
 * A HikariCP pool with its leases watched: a {@link DataSource} that frameworks take unchanged.
 *
 * <pre>{@code
 * GuardedPool pool = GuardedPool.wrap(hikariDataSource, PoolGuardConfig.custom()
 *         .leakThreshold(Duration.ofSeconds(30)).instances(5).build());
 * DbGuard guard = DbGuard.builder().dataSource(pool).checks(pool.checks()).build();
 * }</pre>
 *
 * <p>Every borrow is tracked (time, thread, backend pid, and the borrow-site stack on sampled borrows) in a
 * reusable record: a borrow allocates nothing of its own unless it is fully tracked.
 * A connection held past {@link PoolGuardConfig#leakThreshold()} is reported once with its borrow site,
 * its holder's current stack and its session state in {@code pg_stat_activity}; its return is reported
 * too. A fully tracked connection (sampled, or every borrow once the pool runs hot, a leak was seen,
 * {@code sampleEvery(1)} or {@code reclaimUnclosed}) that becomes unreachable without {@code close()} (no
 * statement or result set of it reachable either) is reported as a certain leak, and returned to HikariCP
 * after a rollback when {@link PoolGuardConfig.Builder#reclaimUnclosed(boolean)} is on; an unsampled one is
 * reported as held too long after the threshold, which turns full tracking on. A
 * borrow that times out throws a {@link PoolExhaustedException} naming the cause.
 */
public final class GuardedPool extends DelegatingDataSource implements Closeable {

    private final HikariDataSource hikari;
    private final PoolGuardConfig config;
    private final DiagnosisSource diagnosisSource;
    private final LeaseTracker tracker;
    private final ExhaustionDiagnoser diagnoser;

    private static final AtomicInteger UNNAMED = new AtomicInteger();

    private GuardedPool(HikariDataSource hikari, PoolGuardConfig config) {
        super(hikari);
        this.hikari = hikari;
        name(hikari);
        this.config = config;
        this.diagnosisSource = DiagnosisSource.of(hikari, config.diagnosisDataSource(), config.diagnosisTimeout());
        this.tracker = new LeaseTracker(hikari.getPoolName(), config, hikari::getMaximumPoolSize, diagnosisSource);
        this.diagnoser = new ExhaustionDiagnoser(hikari, tracker, diagnosisSource, config.instances());
        tracker.bindMetrics(config.meterRegistry(), hikari.getMetricRegistry());
        // read now, while the server still has room: when it refuses connections (53300), the exhaustion
        // diagnosis needs max_connections for its arithmetic and can no longer ask
        readLimits();
    }

    /**
     * Wraps a pool with the default configuration.
     *
     * @param hikari the pool; keep using it for configuration and HikariCP's MXBean
     * @return the guarded pool
     */
    public static GuardedPool wrap(HikariDataSource hikari) {
        return wrap(hikari, PoolGuardConfig.defaults());
    }

    /**
     * Wraps a pool.
     *
     * @param hikari the pool; keep using it for configuration and HikariCP's MXBean
     * @param config how to watch it
     * @return the guarded pool
     */
    public static GuardedPool wrap(HikariDataSource hikari, PoolGuardConfig config) {
        return new GuardedPool(Objects.requireNonNull(hikari, "hikari"), Objects.requireNonNull(config, "config"));
    }

    /**
     * A HikariDataSource built with the no-argument constructor has no pool name until its first borrow; the
     * tracker thread and the meters' {@code pool} tag need one now, and HikariCP's own {@code hikaricp.*}
     * meters must carry the same.
     */
    private static void name(HikariDataSource hikari) {
        if (hikari.getPoolName() == null) {
            try {
                hikari.setPoolName("GuardedPool-" + UNNAMED.incrementAndGet());
            } catch (IllegalStateException sealed) {
                // started already, so HikariCP named it: cannot happen with a null name
            }
        }
    }

    private void readLimits() {
        try {
            diagnosisSource.limits();
        } catch (SQLException | RuntimeException e) {
            LoggerFactory.getLogger(GuardedPool.class).debug("Could not read the server's connection limits for pool {}: {}",
                    hikari.getPoolName(), e.getMessage());
        }
    }

    /**
     * Borrows a connection and tracks it until {@code close()}.
     *
     * @return the connection
     * @throws PoolExhaustedException when none became available within HikariCP's connectionTimeout
     * @throws SQLException           when HikariCP fails otherwise
     */
    @Override
    public Connection getConnection() throws SQLException {
        Connection proxy;
        try {
            proxy = hikari.getConnection();
        } catch (SQLTransientConnectionException e) {
            throw exhausted(e);
        }
        return tracker.track(proxy);
    }

    /**
     * Borrows a connection with other credentials (HikariCP itself does not support it).
     *
     * @param username the user
     * @param password the password
     * @return the connection
     * @throws SQLException as HikariCP throws it
     */
    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        Connection proxy;
        try {
            proxy = hikari.getConnection(username, password);
        } catch (SQLTransientConnectionException e) {
            throw exhausted(e);
        }
        return tracker.track(proxy);
    }

    private PoolExhaustedException exhausted(SQLTransientConnectionException e) {
        PoolDiagnosis diagnosis = diagnoser.diagnose(e);
        tracker.exhausted(diagnosis.cause());
        for (PoolListener listener : config.listeners()) {
            try {
                listener.onExhausted(diagnosis);
            } catch (RuntimeException ex) {
                LoggerFactory.getLogger(GuardedPool.class).warn("Pool listener {} failed on exhaustion", listener, ex);
            }
        }
        return new PoolExhaustedException(e, diagnosis);
    }

    /** @return the wrapped HikariCP pool */
    public HikariDataSource hikari() {
        return hikari;
    }

    /** @return the configuration */
    public PoolGuardConfig config() {
        return config;
    }

    /** @return the connections borrowed now, oldest first */
    public List<LeaseInfo> leases() {
        return tracker.leases();
    }

    /** @return the age of the oldest borrowed connection, zero when none */
    public Duration oldestLeaseAge() {
        return tracker.oldestLeaseAge();
    }

    /** @return the most recent leak reports (up to 100), oldest first */
    public List<LeakReport> leakReports() {
        return tracker.reports();
    }

    /** @return how many connections were reported held past the threshold or never closed */
    public long leaksSeen() {
        return tracker.heldTooLongCount() + tracker.unclosedCount();
    }

    /**
     * The checks bound to this pool, for {@code DbGuard.builder().addCheck(...)}: {@code pool-saturation}
     * and {@code pool-budget}.
     *
     * @return the checks
     */
    public List<DatabaseCheck> checks() {
        return List.of(new PoolSaturationCheck(this), new PoolBudgetCheck(this), new PoolIdleTimeoutCheck(this));
    }

    /** @return how many connections the tracker sees borrowed now */
    int activeLeases() {
        return tracker.activeCount();
    }

    /** @return how many connections became unreachable without close() */
    long unclosedLeaks() {
        return tracker.unclosedCount();
    }

    /** @return how many connections were reported held past the threshold */
    long heldTooLongLeaks() {
        return tracker.heldTooLongCount();
    }

    /**
     * Stops watching and closes the HikariCP pool.
     */
    @Override
    public void close() {
        tracker.close();
        hikari.close();
    }

    @Override
    public String toString() {
        return "GuardedPool(" + hikari.getPoolName() + ")";
    }
}
