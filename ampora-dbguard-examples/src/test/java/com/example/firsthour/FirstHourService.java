package com.example.firsthour;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.flyway.FlywayGuard;
import io.ampora.dbguard.health.HealthServer;
import io.ampora.dbguard.hikari.GuardedPool;
import io.ampora.dbguard.hikari.LeakReport;
import io.ampora.dbguard.hikari.PoolGuardConfig;
import io.ampora.dbguard.hikari.PoolListener;
import io.ampora.dbguard.monitor.DbGuardMonitor;
import io.ampora.dbguard.monitor.MonitorConfig;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.rls.Tenant;
import io.ampora.dbguard.rls.TenantDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * Issue 19's "first hour", as a consumer of the library writes it from the README alone: the setup the
 * README's "What the setup needs" lists, then its "Use it in a service" snippets in order (HikariCP ->
 * GuardedPool -> TenantDataSource, Flyway checks, {@code verifyOrFail()}, migrate, report, monitor and
 * HealthServer, a tenant query, a deliberate leak), then everything closed. It prints what it reached and
 * returns from {@code main} without {@code System.exit}: {@code FirstHourConsumerTest} runs it in a JVM of
 * its own and requires a clean exit, so a thread left running would show.
 *
 * <p>The migrations are the examples module's {@code db/migration} (tenants and orders, the
 * {@code ampora_current_tenant()} helper, forced RLS), the snapshot its {@code db/schema.json}.
 */
public final class FirstHourService {

    private FirstHourService() {
    }

    /**
     * @param args none
     * @throws Exception when a step fails: the test shows the stack
     */
    public static void main(String[] args) throws Exception {
        try (EmbeddedPostgres postgres = EmbeddedPostgres.start()) {
            // README, "What the setup needs": an application role that is not a superuser and owns its tables.
            try (Connection admin = postgres.getPostgresDatabase().getConnection();
                 Statement st = admin.createStatement()) {
                st.execute("CREATE ROLE ampora_app LOGIN PASSWORD 'app-secret'");
                st.execute("CREATE DATABASE ampora OWNER ampora_app");
            }
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl("jdbc:postgresql://localhost:" + postgres.getPort() + "/ampora");
            config.setUsername("ampora_app");
            config.setPassword("app-secret");
            config.setAutoCommit(false);            // README: tenant binding is per transaction
            config.setMaximumPoolSize(4);
            HikariDataSource hikariDataSource = new HikariDataSource(config);

            // README, "HikariCP: leaks and exhaustion", with the listener and sampleEvery(1) of "Where leak reports go".
            List<LeakReport> heard = new ArrayList<>();
            GuardedPool pool = GuardedPool.wrap(hikariDataSource, PoolGuardConfig.custom()
                    .leakThreshold(Duration.ofSeconds(5))     // short for the demo; the default is 30s
                    .sampleEvery(1)
                    .listener(new PoolListener() {
                        @Override
                        public void onLeak(LeakReport report) {
                            synchronized (heard) {
                                heard.add(report);
                            }
                        }
                    })
                    .build());
            DataSource dataSource = TenantDataSource.wrap(pool);   // README: the application's DataSource

            // README, "Migrations: checks and tests": the guard gets the pool, not the TenantDataSource.
            FlywayGuard flyway = FlywayGuard.custom()
                    .locations("classpath:db/migration")
                    .schemaSnapshotResource("db/schema.json")
                    .build();
            DbGuard.Builder builder = DbGuard.builder().dataSource(pool).applicationName("ampora-api");
            flyway.checks().forEach(builder::addCheck);
            pool.checks().forEach(builder::addCheck);
            DbGuard guard = builder.build();
            guard.verifyOrFail();
            System.out.println("STEP verifyOrFail passed before migrating");
            Flyway.configure().dataSource(pool).locations("classpath:db/migration").load().migrate();

            Report report = guard.report();
            System.out.println(report.toText());
            System.out.println("STEP report " + report.status());
            if (report.status() != CheckStatus.PASS) {
                throw new IllegalStateException("the report is " + report.status() + ", not PASS");
            }

            // README, "Readiness, metrics and monitoring".
            try (DbGuardMonitor monitor = guard.monitor(MonitorConfig.builder()
                    .defaultInterval(Duration.ofSeconds(10)).build());
                 HealthServer health = HealthServer.start(monitor, new InetSocketAddress("127.0.0.1", 0))) {
                monitor.refresh();
                HttpURLConnection http = (HttpURLConnection) URI.create("http://127.0.0.1:" + health.port()
                        + "/health/ready").toURL().openConnection();
                System.out.println("STEP /health/ready " + http.getResponseCode());
                http.disconnect();
            }

            // README, "Row Level Security": a tenant query through the application's DataSource.
            String tenantId = "11111111-1111-4111-8111-111111111111";
            long orders = Tenant.call(tenantId, () -> {
                try (Connection c = dataSource.getConnection()) {
                    try (PreparedStatement insertTenant = c.prepareStatement(
                            "INSERT INTO tenants (id, name) VALUES (?::uuid, 'Acme')");
                         PreparedStatement insertOrder = c.prepareStatement(
                                 "INSERT INTO orders (tenant_id, customer, total_cents) VALUES (?::uuid, 'Ada', 4200)")) {
                        insertTenant.setString(1, tenantId);
                        insertTenant.executeUpdate();
                        insertOrder.setString(1, tenantId);
                        insertOrder.executeUpdate();
                    }
                    c.commit();
                    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM orders")) {
                        rs.next();
                        long count = rs.getLong(1);
                        c.commit();
                        return count;
                    }
                }
            });
            System.out.println("STEP tenant query: " + orders + " order(s) of tenant " + tenantId);

            // A deliberate leak: borrowed and held past the threshold.
            Connection leaked = pool.getConnection();
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (pool.leakReports().isEmpty() && System.nanoTime() < until) {
                Thread.sleep(100);
            }
            leaked.close();
            if (pool.leakReports().isEmpty()) {
                throw new IllegalStateException("no leak report within 30 s");
            }
            System.out.println("STEP leak report: " + pool.leakReports().get(0).message());
            synchronized (heard) {
                System.out.println("STEP listener heard " + heard.stream().map(r -> r.kind().name()).toList());
            }

            pool.close();                                   // stops watching, closes HikariCP
        }
        System.out.println("STEP main returns");
    }
}
