package io.ampora.dbguard.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.rls.Tenant;
import io.ampora.dbguard.rls.TenantDataSource;
import io.ampora.dbguard.rls.TenantHelper;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Cost of {@link TenantDataSource}: a 3-statement tenant transaction (read, update, insert) on the real
 * embedded PostgreSQL through one HikariCP pool, three ways:
 * <ul>
 *   <li>{@code unbound}: the same statements on a table without RLS, no binding: the floor;</li>
 *   <li>{@code manualBinding}: the application writes {@code SELECT set_config(...)} itself before the
 *       statements, on the RLS table;</li>
 *   <li>{@code wrapper}: the same transaction through {@link TenantDataSource} inside {@link Tenant#call}.</li>
 * </ul>
 * At the end of each trial it prints the statements per transaction from pg_stat_statements, which are the
 * round trips: pgjdbc sends BEGIN in the same flush as the first statement, so round trips per transaction
 * = statements other than BEGIN and COMMIT, plus one for the commit.
 *
 * <p>Run: {@code java -jar ampora-dbguard-benchmarks/target/benchmarks.jar TenantBinding -f 1 -wi 2 -i 3}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
public class TenantBindingBenchmark {

    private static final int TENANTS = 10;
    private static final int ROWS_PER_TENANT = 1_000;

    private EmbeddedPostgres postgres;
    private HikariDataSource pool;
    private TenantDataSource guarded;
    private final List<String> tenants = new ArrayList<>();
    private final LongAdder transactions = new LongAdder();

    /** Starts PostgreSQL with pg_stat_statements, builds the schema and the pool. */
    @Setup(Level.Trial)
    public void start() throws Exception {
        postgres = EmbeddedPostgres.builder()
                .setServerConfig("shared_preload_libraries", "pg_stat_statements")
                .setServerConfig("fsync", "off")
                .setServerConfig("synchronous_commit", "off")
                .start();
        for (int i = 0; i < TENANTS; i++) {
            tenants.add(UUID.randomUUID().toString());
        }
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            st.execute("DROP ROLE IF EXISTS bench_app");
            st.execute("CREATE ROLE bench_app LOGIN");
            st.execute(TenantHelper.sql());
            for (String table : List.of("items", "items_plain")) {
                st.execute("CREATE TABLE " + table + " (id bigserial PRIMARY KEY, tenant_id uuid NOT NULL,"
                        + " counter int NOT NULL DEFAULT 0, payload text)");
                st.execute("CREATE INDEX ON " + table + " (tenant_id)");
                st.execute("GRANT SELECT, INSERT, UPDATE ON " + table + " TO bench_app");
                st.execute("GRANT USAGE ON SEQUENCE " + table + "_id_seq TO bench_app");
                for (String tenant : tenants) {
                    st.execute("INSERT INTO " + table + " (tenant_id, payload) SELECT '" + tenant
                            + "', 'seed' FROM generate_series(1, " + ROWS_PER_TENANT + ")");
                }
            }
            st.execute("ALTER TABLE items ENABLE ROW LEVEL SECURITY; ALTER TABLE items FORCE ROW LEVEL SECURITY;"
                    + " CREATE POLICY tenant_isolation ON items"
                    + " USING (tenant_id = (SELECT ampora_current_tenant())::uuid)"
                    + " WITH CHECK (tenant_id = (SELECT ampora_current_tenant())::uuid)");
            st.execute("VACUUM ANALYZE");
        }
        PGSimpleDataSource app = new PGSimpleDataSource();
        app.setServerNames(new String[] {"localhost"});
        app.setPortNumbers(new int[] {postgres.getPort()});
        app.setDatabaseName("postgres");
        app.setUser("bench_app");
        app.setAssumeMinServerVersion("13");
        HikariConfig config = new HikariConfig();
        config.setDataSource(app);
        config.setAutoCommit(false);
        config.setMaximumPoolSize(4);
        pool = new HikariDataSource(config);
        guarded = TenantDataSource.wrap(pool);
        resetStatements();
    }

    /** Prints statements (= round trips) per transaction, then stops everything. */
    @TearDown(Level.Trial)
    public void stop() throws Exception {
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT query, calls FROM pg_stat_statements s JOIN pg_roles r"
                     + " ON r.oid = s.userid WHERE r.rolname = 'bench_app' ORDER BY calls DESC, query")) {
            long count = Math.max(1, transactions.sum());
            double roundTrips = 0;
            StringBuilder report = new StringBuilder("\n[tenant-binding] " + count + " transactions; per transaction:\n");
            while (rs.next()) {
                double perTx = rs.getLong(2) / (double) count;
                if (!rs.getString(1).equals("BEGIN") && !rs.getString(1).equals("COMMIT")) {
                    roundTrips += perTx;
                }
                report.append(String.format("  %6.3f  %s%n", perTx, rs.getString(1)));
            }
            report.append(String.format("  round trips per transaction (statements other than BEGIN/COMMIT, + 1 commit):"
                    + " %.3f%n", roundTrips + 1));
            System.out.print(report);
        }
        pool.close();
        postgres.close();
    }

    private void resetStatements() throws SQLException {
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
            st.execute("SELECT pg_stat_statements_reset()");
        }
    }

    /** @return the baseline: the three statements on a table without RLS, no binding */
    @Benchmark
    public int unbound() throws SQLException {
        return transaction(pool, "items_plain", randomTenant(), false);
    }

    /** @return the application binding by hand with set_config on the RLS table */
    @Benchmark
    public int manualBinding() throws SQLException {
        return transaction(pool, "items", randomTenant(), true);
    }

    /** @return the same transaction through the TenantDataSource */
    @Benchmark
    public int wrapper() throws Exception {
        String tenant = randomTenant();
        return Tenant.call(tenant, () -> transaction(guarded, "items", tenant, false));
    }

    private String randomTenant() {
        return tenants.get(ThreadLocalRandom.current().nextInt(TENANTS));
    }

    private int transaction(DataSource dataSource, String table, String tenant, boolean bindByHand)
            throws SQLException {
        int result;
        try (Connection c = dataSource.getConnection()) {
            if (bindByHand) {
                try (PreparedStatement st = c.prepareStatement("SELECT set_config('app.tenant_id', ?, true)")) {
                    st.setString(1, tenant);
                    st.executeQuery().close();
                }
            }
            // seeded rows are numbered tenant by tenant: tenant i owns ids i*ROWS+1 .. (i+1)*ROWS
            long id = (long) tenants.indexOf(tenant) * ROWS_PER_TENANT
                    + 1 + ThreadLocalRandom.current().nextInt(ROWS_PER_TENANT);
            try (PreparedStatement st = c.prepareStatement("SELECT payload FROM " + table + " WHERE id = ?")) {
                st.setLong(1, id);
                try (ResultSet rs = st.executeQuery()) {
                    if (!rs.next()) {
                        throw new IllegalStateException("row " + id + " is not visible to tenant " + tenant);
                    }
                }
            }
            try (PreparedStatement st = c.prepareStatement(
                    "UPDATE " + table + " SET counter = counter + 1 WHERE id = ?")) {
                st.setLong(1, id);
                result = st.executeUpdate();
            }
            try (PreparedStatement st = c.prepareStatement(
                    "INSERT INTO " + table + " (tenant_id, payload) VALUES (?::uuid, 'bench')")) {
                st.setString(1, tenant);
                result += st.executeUpdate();
            }
            c.commit();
        }
        transactions.increment();
        return result;
    }
}
