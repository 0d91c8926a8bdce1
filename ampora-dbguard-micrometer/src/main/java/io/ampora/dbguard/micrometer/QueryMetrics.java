package io.ampora.dbguard.micrometer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Times every statement an application runs, through a decorator that wraps any {@link DataSource}
 * (a HikariCP pool, a tenant-binding wrapper, a plain driver DataSource; in any order), and feeds the
 * {@code query-latency} check.
 *
 * <pre>{@code
 * QueryMetrics metrics = QueryMetrics.of(meterRegistry);
 * DataSource dataSource = metrics.wrap(hikariDataSource);     // give this one to the application
 * DbGuard guard = DbGuard.builder().dataSource(dataSource).addCheck(metrics.latencyCheck()).build();
 * }</pre>
 *
 * <p>Meters (the Prometheus names in brackets):
 * <ul>
 *   <li>{@value #QUERY_TIMER} [{@code ampora_db_query_duration_seconds_bucket|_count|_sum|_max}]: the
 *       execution of every {@code execute*} call of a Statement, PreparedStatement or CallableStatement,
 *       tagged {@code outcome} ({@code success}/{@code error}) and {@code operation} (the
 *       {@link QueryOperation} name, {@value QueryOperation#UNNAMED} outside one); a percentile histogram
 *       with exact buckets at 100 ms and 1 s, the runbook's thresholds. Never tagged with SQL.</li>
 *   <li>{@value #ACQUIRE_TIMER} [{@code ampora_db_connection_acquire_seconds_*}]: the time
 *       {@code getConnection()} took, tagged {@code outcome}; with a pool it is the wait for a free
 *       connection, which the runbook warns inflates perceived query time.</li>
 *   <li>{@value #QUERY_ERRORS} [{@code ampora_db_query_errors_total}]: the failed statements, tagged
 *       {@code cause} (the {@link io.ampora.dbguard.diagnosis.SqlErrorCause} as
 *       {@link io.ampora.dbguard.diagnosis.SqlErrors#explain(Throwable)} reads the exception, in lower case with
 *       dashes: {@code deadlock}, {@code statement-timeout}), {@code retryable} ({@code true}/{@code false}) and
 *       the timer's {@code operation}. The first failure of a cause is logged at WARN with its meaning and fix,
 *       then at most one line per cause every {@link #ERROR_LOG_INTERVAL}, saying how many occurred since the
 *       last line. Neither the SQL nor the server's message is logged. Successful statements never pay for it.</li>
 * </ul>
 *
 * <p>Cardinality is bounded: at most {@link #MAX_OPERATIONS} operation names get their own series,
 * the rest are tagged {@code other} (logged once).
 */
public final class QueryMetrics {

    /** The statement execution timer's name. */
    public static final String QUERY_TIMER = "ampora.db.query.duration";
    /** The connection acquisition timer's name. */
    public static final String ACQUIRE_TIMER = "ampora.db.connection.acquire";
    /** The failed statements counter's name. */
    public static final String QUERY_ERRORS = "ampora.db.query.errors";
    /** How often at most one cause of failed statements is logged, after its first line. */
    public static final Duration ERROR_LOG_INTERVAL = Duration.ofMinutes(1);
    /** How many distinct operation names get their own series. */
    public static final int MAX_OPERATIONS = 200;

    private static final Logger LOG = LoggerFactory.getLogger(QueryMetrics.class);
    private static final Duration[] SLOS = {Duration.ofMillis(100), Duration.ofSeconds(1)};

    private final MeterRegistry registry;
    private final Map<String, Timer> success = new ConcurrentHashMap<>();
    private final Map<String, Timer> error = new ConcurrentHashMap<>();
    private final Timer acquireSuccess;
    private final Timer acquireError;
    private final LatencyWindow queries = new LatencyWindow();
    private final LatencyWindow acquires = new LatencyWindow();
    private final QueryErrors errors;
    private volatile boolean overflowLogged;

    /** With the clock that spaces the error log lines: {@code System::nanoTime}, or a test's. */
    QueryMetrics(MeterRegistry registry, LongSupplier nanoClock) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.errors = new QueryErrors(registry, nanoClock);
        this.acquireSuccess = acquireTimer("success");
        this.acquireError = acquireTimer("error");
    }

    /**
     * Creates the metrics on a registry; create one per registry and wrap every DataSource with it.
     *
     * @param registry the registry (Prometheus, OTLP, ...)
     * @return the metrics
     */
    public static QueryMetrics of(MeterRegistry registry) {
        return new QueryMetrics(registry, System::nanoTime);
    }

    /** @return the registry the timers are in */
    public MeterRegistry registry() {
        return registry;
    }

    /**
     * Decorates a DataSource: every statement executed on a connection it hands out is timed, also statements
     * reached through a result set's {@code getStatement()} or the metadata's {@code getConnection()}. Over a
     * DataSource that hands out the JDBC layer's connections already (a {@code GuardedPool}), the timer joins
     * that connection instead of wrapping it again. {@code unwrap} and {@code isWrapperFor} reach the wrapped
     * objects (so {@code unwrap(HikariDataSource.class)} or {@code unwrap(PGConnection.class)} keep working),
     * and a connection's {@code close()} is idempotent.
     *
     * @param dataSource the DataSource to time
     * @return the timed DataSource
     */
    public DataSource wrap(DataSource dataSource) {
        return new TimedDataSource(Objects.requireNonNull(dataSource, "dataSource"), this);
    }

    /**
     * The {@code query-latency} check reading this instance's recent statements.
     *
     * @return a new check; add it with {@code DbGuard.builder().addCheck(...)}
     */
    public QueryLatencyCheck latencyCheck() {
        return new QueryLatencyCheck(this);
    }

    void recordSuccess(long nanos, long endNanoTime) {
        recordQuery(nanos, endNanoTime, true, QueryOperation.current());
    }

    /** Records a failed statement: the error timer, then the explained cause in {@value #QUERY_ERRORS}. */
    void recordFailure(long nanos, long endNanoTime, Throwable failure) {
        String operation = QueryOperation.current();
        Timer timer = recordQuery(nanos, endNanoTime, false, operation);
        errors.record(failure, operation, timer.getId().getTag("operation"));
    }

    private Timer recordQuery(long nanos, long endNanoTime, boolean ok, String operation) {
        Timer timer = (ok ? success : error).get(operation);
        if (timer == null) {
            timer = queryTimer(operation, ok);
        }
        timer.record(nanos, TimeUnit.NANOSECONDS);
        queries.record(nanos, endNanoTime, operation);
        return timer;
    }

    void recordAcquire(long nanos, long endNanoTime, boolean ok) {
        (ok ? acquireSuccess : acquireError).record(nanos, TimeUnit.NANOSECONDS);
        acquires.record(nanos, endNanoTime, null);
    }

    LatencyWindow.Stats queryStats(Duration window) {
        return queries.stats(window, System.nanoTime());
    }

    LatencyWindow.Stats acquireStats(Duration window) {
        return acquires.stats(window, System.nanoTime());
    }

    private Timer queryTimer(String operation, boolean ok) {
        Map<String, Timer> timers = ok ? success : error;
        String tag = operation;
        if (!timers.containsKey(operation) && success.size() + error.size() >= 2 * MAX_OPERATIONS) {
            tag = "other";
            if (!overflowLogged) {
                overflowLogged = true;
                LOG.warn("More than {} query operation names; further ones (such as '{}') are tagged operation=other."
                        + " Operation names must be a small fixed set: name what the code does, not the data", MAX_OPERATIONS,
                        operation);
            }
        }
        String finalTag = tag;
        return timers.computeIfAbsent(tag, k -> Timer.builder(QUERY_TIMER)
                .description("Execution time of JDBC statements (execute*), without the wait for a connection")
                .tag("outcome", ok ? "success" : "error")
                .tag("operation", finalTag)
                .publishPercentileHistogram()
                .serviceLevelObjectives(SLOS)
                .register(registry));
    }

    private Timer acquireTimer(String outcome) {
        return Timer.builder(ACQUIRE_TIMER)
                .description("Time getConnection() took: with a pool, the wait for a free connection")
                .tag("outcome", outcome)
                .publishPercentileHistogram()
                .serviceLevelObjectives(SLOS)
                .register(registry);
    }
}
