package io.ampora.dbguard.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.hikari.GuardedPool;
import io.ampora.dbguard.hikari.PoolGuardConfig;
import io.ampora.dbguard.micrometer.QueryMetrics;
import io.ampora.dbguard.rls.Tenant;
import io.ampora.dbguard.rls.TenantDataSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
 * The three JDBC hooks composed (HikariCP -> GuardedPool -> QueryMetrics -> TenantDataSource, one connection
 * object) against plain HikariCP doing the same transaction by hand: borrow, bind the tenant with
 * {@code set_config(..., true)}, {@code SELECT 1}, commit, close, on the embedded PostgreSQL. Both send the same
 * three statements, so the difference is the decorators' cost. Goal: under 3 %.
 *
 * <pre>java -jar ampora-dbguard-benchmarks/target/benchmarks.jar ComposedPostgresBorrowBenchmark -f 2 -wi 2 -i 3 -t 2</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ComposedPostgresBorrowBenchmark {

    private static final String TENANT = "11111111-1111-1111-1111-111111111111";

    /** Plain HikariCP binding by hand, or the three layers. */
    @Param({"hikari-by-hand", "pool-timer-tenant"})
    public String stack;

    private EmbeddedPostgres postgres;
    private HikariDataSource hikari;
    private GuardedPool guarded;
    private DataSource dataSource;

    /** Starts PostgreSQL and the pool. */
    @Setup
    public void setUp() throws Exception {
        postgres = EmbeddedPostgres.builder().start();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(postgres.getJdbcUrl("postgres", "postgres"));
        config.setMaximumPoolSize(8);
        config.setMinimumIdle(8);
        config.setAutoCommit(false);
        config.setPoolName("pg-composed-" + stack);
        hikari = new HikariDataSource(config);
        if (stack.equals("pool-timer-tenant")) {
            guarded = GuardedPool.wrap(hikari, PoolGuardConfig.defaults());
            dataSource = TenantDataSource.wrap(QueryMetrics.of(new SimpleMeterRegistry()).wrap(guarded));
        } else {
            dataSource = hikari;
        }
    }

    /** Stops the pool and PostgreSQL. */
    @TearDown
    public void tearDown() throws Exception {
        if (guarded != null) {
            guarded.close();
        } else {
            hikari.close();
        }
        postgres.close();
    }

    /**
     * One tenant transaction reading {@code SELECT 1}.
     *
     * @return the value read
     * @throws Exception when the query fails
     */
    @Benchmark
    public int bindSelectCommit() throws Exception {
        if (guarded != null) {
            return Tenant.call(TENANT, this::selectAndCommit);
        }
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement bind = c.prepareStatement("SELECT pg_catalog.set_config(?, ?, true)")) {
                bind.setString(1, "app.tenant_id");
                bind.setString(2, TENANT);
                bind.executeQuery().close();
            }
            return selectAndCommit(c);
        }
    }

    private int selectAndCommit() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return selectAndCommit(c);
        }
    }

    private static int selectAndCommit(Connection c) throws SQLException {
        int value;
        try (PreparedStatement st = c.prepareStatement("SELECT 1"); ResultSet rs = st.executeQuery()) {
            rs.next();
            value = rs.getInt(1);
        }
        c.commit();
        return value;
    }
}
