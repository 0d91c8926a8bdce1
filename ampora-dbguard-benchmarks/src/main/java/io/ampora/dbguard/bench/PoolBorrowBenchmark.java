package io.ampora.dbguard.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.bench.stub.StubDriver;
import io.ampora.dbguard.bench.stub.StubPools;
import io.ampora.dbguard.hikari.GuardedPool;
import io.ampora.dbguard.hikari.PoolGuardConfig;
import io.ampora.dbguard.internal.jdbc.DelegatingDataSource;
import io.ampora.dbguard.internal.jdbc.LayeredConnection;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Borrow + close throughput on a stub driver that does nothing: plain HikariCP, HikariCP with its own
 * leakDetectionThreshold, the JDBC layer's connection alone ({@code layer-only}: no hook), the same with the catch of
 * HikariCP's timeout that a pool guard needs ({@code layer-catch}), and the GuardedPool
 * with default sampling, capturing every borrow, or no stacks.
 * Goal (issue 13): GuardedPool default ({@code guarded-sampled}) keeps at least 85 % of plain HikariCP's
 * throughput in every variant: pool 8 and 16, {@code autoCommit} true and false, a {@code void} method and one
 * returning the connection, 1 and 2 threads ({@code -t}), with and without Micrometer on the classpath.
 *
 * <pre>
 * java -jar ampora-dbguard-benchmarks/target/benchmarks.jar PoolBorrowBenchmark -f 3 -wi 2 -i 3 -w 1 -r 1 -t 1
 * # without Micrometer on the classpath: the same jar with io/micrometer removed
 * cp ampora-dbguard-benchmarks/target/benchmarks.jar /tmp/bench-no-micrometer.jar
 * zip -q -d /tmp/bench-no-micrometer.jar 'io/micrometer/*'
 * java -jar /tmp/bench-no-micrometer.jar PoolBorrowBenchmark -f 3 -wi 2 -i 3 -w 1 -r 1 -t 2
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PoolBorrowBenchmark {

    /** Which pool to measure. */
    @Param({"hikari", "guarded-sampled"})
    public String pool;

    /** HikariCP's maximumPoolSize. */
    @Param({"8", "16"})
    public int maxPoolSize;

    /** HikariCP's autoCommit. */
    @Param({"true", "false"})
    public boolean autoCommit;

    private HikariDataSource hikari;
    private DataSource dataSource;

    /** Builds the pool on the stub driver. */
    @Setup
    public void setUp() throws Exception {
        Class.forName(StubDriver.class.getName());
        HikariConfig config = StubPools.config(maxPoolSize, autoCommit, "bench-" + pool);
        if (pool.equals("hikari-leak-detection")) {
            config.setLeakDetectionThreshold(60_000);
        }
        hikari = new HikariDataSource(config);
        dataSource = switch (pool) {
            case "guarded-sampled" -> GuardedPool.wrap(hikari, PoolGuardConfig.defaults());
            case "guarded-every-borrow" -> GuardedPool.wrap(hikari, PoolGuardConfig.custom().sampleEvery(1).build());
            // tracking without any stack capture: separates the cost of the lease bookkeeping from sampling
            case "guarded-no-stacks" -> GuardedPool.wrap(hikari, PoolGuardConfig.custom().sampleEvery(Integer.MAX_VALUE).build());
            case "layer-only" -> new LayerOnly(hikari);
            case "layer-catch" -> new LayerCatch(hikari);
            default -> pool.startsWith("guarded-sample-") // guarded-sample-N: the default guard sampling 1 borrow in N
                    ? GuardedPool.wrap(hikari, PoolGuardConfig.custom().sampleEvery(Integer.parseInt(pool.substring(15))).build())
                    : hikari;
        };
    }

    /** Closes the pool. */
    @TearDown
    public void tearDown() {
        if (dataSource instanceof GuardedPool guarded) {
            guarded.close();
        } else {
            hikari.close();
        }
    }

    /**
     * The JDBC layer's connection over HikariCP's proxy with no hook at all: what any decorator costs, the
     * reference for what the guard's lease tracking adds ({@code docs/design/jdbc-layer.md}, "Session 8").
     */
    /**
     * {@link LayerOnly} plus the one thing every pool guard's borrow needs besides its bookkeeping: a catch that turns
     * HikariCP's timeout into the guard's own exception. With HikariCP's borrow inlined, the catch alone takes the
     * method's compiled code over C2's {@code InlineSmallCode} (2,752 bytes against {@code layer-only}'s 2,400): the
     * borrow is then called, not inlined, and both connections are allocated ({@code docs/design/jdbc-layer.md},
     * "Session 14").
     */
    static final class LayerCatch extends DelegatingDataSource {

        private final HikariDataSource hikari;

        LayerCatch(HikariDataSource hikari) {
            super(hikari);
            this.hikari = hikari;
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection proxy;
            try {
                proxy = hikari.getConnection();
            } catch (SQLTransientConnectionException e) {
                throw exhausted(e);
            }
            return LayeredConnection.of(proxy, null);
        }

        private SQLException exhausted(SQLTransientConnectionException e) {
            return new SQLTransientConnectionException("pool " + hikari.getPoolName() + " exhausted", e);
        }
    }

    static final class LayerOnly extends DelegatingDataSource {

        private final HikariDataSource hikari;

        LayerOnly(HikariDataSource hikari) {
            super(hikari);
            this.hikari = hikari;
        }

        @Override
        public Connection getConnection() throws SQLException {
            return LayeredConnection.of(hikari.getConnection(), null);
        }
    }

    /**
     * One borrow and close, returning the connection (JMH consumes it).
     *
     * @return the connection, so that the borrow is not optimised away
     * @throws SQLException never, on the stub
     */
    @Benchmark
    public Connection borrowAndClose() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return c;
        }
    }

    /**
     * One borrow and close in a {@code void} method, as an application does it: the connection does not escape,
     * so the JIT may scalar-replace what the wrapper allocates where it can.
     *
     * @throws SQLException never, on the stub
     */
    @Benchmark
    public void borrowAndCloseVoid() throws SQLException {
        Connection c = dataSource.getConnection();
        c.close();
    }
}
