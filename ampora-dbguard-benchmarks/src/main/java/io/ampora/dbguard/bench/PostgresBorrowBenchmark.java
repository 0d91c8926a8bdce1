package io.ampora.dbguard.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.hikari.GuardedPool;
import io.ampora.dbguard.hikari.PoolGuardConfig;
import io.ampora.dbguard.micrometer.QueryMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
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
 * Borrow + {@code SELECT 1} + close on the embedded PostgreSQL: plain HikariCP against the GuardedPool
 * with default sampling, the query timer over HikariCP, and both (one connection with two hooks). Goal: under
 * 3% overhead each. The tenant binding, which adds a round trip per transaction by design, is measured with
 * the other two in {@link ComposedPostgresBorrowBenchmark}.
 *
 * <pre>java -jar ampora-dbguard-benchmarks/target/benchmarks.jar PostgresBorrowBenchmark -f 1 -wi 2 -i 3 -t 4</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class PostgresBorrowBenchmark {

    /** Which pool to measure. */
    @Param({"hikari", "guarded-sampled", "timer", "guarded-timer"})
    public String pool;

    private EmbeddedPostgres postgres;
    private HikariDataSource hikari;
    private DataSource dataSource;

    /** Starts PostgreSQL and the pool. */
    @Setup
    public void setUp() throws Exception {
        postgres = EmbeddedPostgres.builder().start();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(postgres.getJdbcUrl("postgres", "postgres"));
        config.setMaximumPoolSize(8);
        config.setMinimumIdle(8);
        config.setPoolName("pg-bench-" + pool);
        hikari = new HikariDataSource(config);
        DataSource base = pool.startsWith("guarded") ? GuardedPool.wrap(hikari, PoolGuardConfig.defaults()) : hikari;
        dataSource = pool.endsWith("timer") ? QueryMetrics.of(new SimpleMeterRegistry()).wrap(base) : base;
    }

    /** Stops the pool and PostgreSQL. */
    @TearDown
    public void tearDown() throws Exception {
        if (dataSource.isWrapperFor(GuardedPool.class)) {
            dataSource.unwrap(GuardedPool.class).close();
        } else {
            hikari.close();
        }
        postgres.close();
    }

    /**
     * One borrow, {@code SELECT 1} and close.
     *
     * @return the value read
     * @throws SQLException when the query fails
     */
    @Benchmark
    public int borrowSelectOneAndClose() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT 1")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
