package io.ampora.dbguard.bench;

import io.ampora.dbguard.micrometer.QueryMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintWriter;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the {@link QueryMetrics} decorator adds per statement, on a do-nothing driver (DataSource,
 * Connection and PreparedStatement that return at once), so that only the decorator is measured: the
 * {@code decorated*} score minus the matching {@code raw*} score. Run:
 *
 * <pre>
 * mvn -B -pl ampora-dbguard-benchmarks -am package -DskipTests
 * java -jar ampora-dbguard-benchmarks/target/benchmarks.jar QueryMetricsOverhead -f 1 -wi 3 -w 1s -i 5 -r 1s
 * </pre>
 *
 * <ul>
 *   <li>{@code *Execute}: one {@code executeUpdate()} on a prepared statement (timer + window record);</li>
 *   <li>{@code *Statement}: {@code prepareStatement}, {@code executeUpdate}, {@code close} on an open
 *       connection (adds the statement proxy);</li>
 *   <li>{@code *Cycle}: {@code getConnection}, prepare, execute, close both (adds the acquire timer and
 *       the connection proxy);</li>
 *   <li>{@code timerRecordOnly}: Micrometer's own cost of one record into a timer like the query timer.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class QueryMetricsOverheadBenchmark {

    private static final String SQL = "UPDATE orders SET state = ? WHERE id = ?";

    /** The registry the timers live in: Prometheus (cumulative histograms) or Micrometer's simple one (decaying). */
    @Param({"prometheus", "simple"})
    public String registry;

    private DataSource raw;
    private io.micrometer.core.instrument.Timer timer;
    private DataSource decorated;
    private Connection rawConnection;
    private Connection decoratedConnection;
    private PreparedStatement rawStatement;
    private PreparedStatement decoratedStatement;

    /** Builds the stub driver and the decorated DataSource on a simple registry. */
    @Setup(Level.Trial)
    public void setUp() throws SQLException {
        raw = new StubDataSource();
        MeterRegistry meters = registry.equals("prometheus") ? new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)
                : new SimpleMeterRegistry();
        decorated = QueryMetrics.of(meters).wrap(raw);
        timer = io.micrometer.core.instrument.Timer.builder("bench.timer").publishPercentileHistogram()
                .serviceLevelObjectives(java.time.Duration.ofMillis(100), java.time.Duration.ofSeconds(1)).register(meters);
        rawConnection = raw.getConnection();
        decoratedConnection = decorated.getConnection();
        rawStatement = rawConnection.prepareStatement(SQL);
        decoratedStatement = decoratedConnection.prepareStatement(SQL);
    }

    /** Closes what setUp opened. */
    @TearDown(Level.Trial)
    public void tearDown() throws SQLException {
        rawStatement.close();
        decoratedStatement.close();
        rawConnection.close();
        decoratedConnection.close();
    }

    /** Micrometer's own share: one record into a timer configured like the query timer. */
    @Benchmark
    public void timerRecordOnly() {
        timer.record(1_000, TimeUnit.NANOSECONDS);
    }

    /** @return the stub's update count; baseline of {@link #decoratedExecute()} */
    @Benchmark
    public int rawExecute() throws SQLException {
        return rawStatement.executeUpdate();
    }

    /** @return the update count through the decorator */
    @Benchmark
    public int decoratedExecute() throws SQLException {
        return decoratedStatement.executeUpdate();
    }

    /** @return the update count; baseline of {@link #decoratedStatement()} */
    @Benchmark
    public int rawStatement() throws SQLException {
        try (PreparedStatement ps = rawConnection.prepareStatement(SQL)) {
            return ps.executeUpdate();
        }
    }

    /** @return the update count through the decorator */
    @Benchmark
    public int decoratedStatement() throws SQLException {
        try (PreparedStatement ps = decoratedConnection.prepareStatement(SQL)) {
            return ps.executeUpdate();
        }
    }

    /** @return the update count; baseline of {@link #decoratedCycle()} */
    @Benchmark
    public int rawCycle() throws SQLException {
        try (Connection c = raw.getConnection(); PreparedStatement ps = c.prepareStatement(SQL)) {
            return ps.executeUpdate();
        }
    }

    /** @return the update count through the decorator */
    @Benchmark
    public int decoratedCycle() throws SQLException {
        try (Connection c = decorated.getConnection(); PreparedStatement ps = c.prepareStatement(SQL)) {
            return ps.executeUpdate();
        }
    }

    /** A DataSource handing out do-nothing connections, whose statements do nothing. */
    static final class StubDataSource implements DataSource {
        private final Connection connection = stub(Connection.class, new StubStatement());

        @Override
        public Connection getConnection() {
            return connection;
        }

        @Override
        public Connection getConnection(String user, String password) {
            return connection;
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() {
            return Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return false;
        }
    }

    /** Holder so the connection stub can return one shared statement stub. */
    static final class StubStatement {
        final PreparedStatement statement = stub(PreparedStatement.class, null);
    }

    private static <T> T stub(Class<T> type, StubStatement statements) {
        return type.cast(Proxy.newProxyInstance(QueryMetricsOverheadBenchmark.class.getClassLoader(), new Class<?>[] {type},
                (proxy, method, args) -> {
                    String name = method.getName();
                    if (statements != null && (name.equals("prepareStatement") || name.equals("createStatement"))) {
                        return statements.statement;
                    }
                    if (name.equals("hashCode")) {
                        return System.identityHashCode(proxy);
                    }
                    if (name.equals("equals")) {
                        return proxy == args[0];
                    }
                    if (name.equals("toString")) {
                        return "stub " + type.getSimpleName();
                    }
                    Class<?> r = method.getReturnType();
                    if (r == int.class) {
                        return 1;
                    }
                    if (r == long.class) {
                        return 1L;
                    }
                    if (r == boolean.class) {
                        return false;
                    }
                    if (r == int[].class) {
                        return new int[0];
                    }
                    return null;
                }));
    }
}
