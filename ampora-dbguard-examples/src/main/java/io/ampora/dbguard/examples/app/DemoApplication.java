package io.ampora.dbguard.examples.app;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.examples.demo.DemoEnvironment;
import io.ampora.dbguard.hikari.GuardedPool;
import io.ampora.dbguard.hikari.PoolGuardConfig;
import io.ampora.dbguard.health.HealthHandler;
import io.ampora.dbguard.micrometer.DbGuardMetrics;
import io.ampora.dbguard.micrometer.QueryMetrics;
import io.ampora.dbguard.micrometer.QueryOperation;
import io.ampora.dbguard.monitor.DbGuardMonitor;
import io.ampora.dbguard.monitor.MonitorConfig;
import io.ampora.dbguard.rls.InvalidTenantIdException;
import io.ampora.dbguard.rls.MissingTenantException;
import io.ampora.dbguard.rls.Tenant;
import io.ampora.dbguard.rls.TenantDataSource;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo service, wired as a real one: an embedded PostgreSQL migrated with the demo's Flyway
 * migrations, a HikariCP pool of the application role guarded by {@link GuardedPool} (leaks, exhaustion
 * diagnosis, pool checks), wrapped with {@link QueryMetrics} (query timers)
 * and {@link TenantDataSource} (the tenant of each request bound to every transaction, statements
 * without a tenant refused), {@link DbGuard#verifyOrFail()} at startup, and one HTTP server with:
 * <ul>
 *   <li>{@code GET /api/orders} (header {@code X-Tenant-Id}): the tenant's orders, scoped by
 *       {@link TenantFilter};</li>
 *   <li>{@code GET /api/admin/order-count}: a route that was mounted without the filter by mistake; it
 *       answers 500 with the guard's {@link MissingTenantException} instead of silently counting 0;</li>
 *   <li>{@code /health/live}, {@code /health/ready}, {@code /health/started}, {@code /health/report};</li>
 *   <li>{@code GET /metrics}: the Prometheus scrape.</li>
 * </ul>
 * Run it: {@code java -cp ampora-dbguard-doctor.jar io.ampora.dbguard.examples.app.DemoApplication [port]}
 * (or {@code java -jar ampora-dbguard-doctor.jar demo --serve --port 8080}).
 */
public final class DemoApplication implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DemoApplication.class);

    private final DemoEnvironment env;
    private final GuardedPool pool;
    private final PrometheusMeterRegistry registry;
    private final DbGuardMonitor monitor;
    private final HttpServer server;
    private final ExecutorService executor;

    private DemoApplication(DemoEnvironment env, GuardedPool pool, PrometheusMeterRegistry registry,
                            DbGuardMonitor monitor, HttpServer server, ExecutorService executor) {
        this.env = env;
        this.pool = pool;
        this.registry = registry;
        this.monitor = monitor;
        this.server = server;
        this.executor = executor;
    }

    /**
     * Starts the embedded database and the service on a port.
     *
     * @param port the HTTP port, 0 for any free one
     * @return the running application
     * @throws Exception when startup fails (the guard's verification included)
     */
    public static DemoApplication start(int port) throws Exception {
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        DemoEnvironment env = DemoEnvironment.start();
        GuardedPool pool = null;
        DbGuardMonitor monitor = null;
        try {
            HikariConfig config = new HikariConfig();
            config.setPoolName("ampora-demo");
            config.setJdbcUrl(env.jdbcUrl());
            config.setUsername(DemoEnvironment.APP_ROLE);
            config.setPassword(env.appPassword());
            config.addDataSourceProperty("ApplicationName", DemoEnvironment.APP_NAME);
            config.setAutoCommit(false);          // the tenant is bound per transaction
            config.setMaximumPoolSize(5);
            // leak detection with borrow sites, exhaustion diagnosis, pool-saturation / pool-budget checks
            pool = GuardedPool.wrap(new HikariDataSource(config), PoolGuardConfig.custom()
                    .leakThreshold(Duration.ofSeconds(5)).build());

            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            QueryMetrics queryMetrics = QueryMetrics.of(registry);
            DataSource appDataSource = TenantDataSource.wrap(queryMetrics.wrap(pool));

            // the guard borrows from the pool itself: un-metered and without a tenant
            DbGuard.Builder builder = DbGuard.builder().dataSource(pool).applicationName(DemoEnvironment.APP_NAME)
                    .addCheck(queryMetrics.latencyCheck());
            pool.checks().forEach(builder::addCheck);
            env.flyway().build().checks().forEach(builder::addCheck);
            DbGuard guard = builder.build();
            guard.verifyOrFail();                 // like a real service: refuse to start on a broken database
            env.migrate();                        // then migrate (already current here: a no-op)

            monitor = guard.monitor(MonitorConfig.builder().defaultInterval(Duration.ofSeconds(10)).build());
            DbGuardMetrics.bind(monitor, registry);
            monitor.refresh();                    // first run done before traffic: readiness answers from it

            ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
                Thread t = new Thread(r, "demo-http");
                t.setDaemon(true);
                return t;
            });
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
            server.setExecutor(executor);
            server.createContext("/health", new HealthHandler(monitor));
            server.createContext("/metrics", exchange -> respond(exchange, 200, "text/plain; version=0.0.4", registry.scrape()));
            server.createContext("/api/orders", exchange -> listOrders(exchange, appDataSource))
                    .getFilters().add(new TenantFilter());
            // mounted without the TenantFilter by mistake: the guard turns it into an error naming the caller
            server.createContext("/api/admin/order-count", exchange -> countOrders(exchange, appDataSource));
            server.start();
            LOG.info("Ampora demo service on http://127.0.0.1:{}/ (api/orders with X-Tenant-Id, health/ready, metrics)",
                    server.getAddress().getPort());
            return new DemoApplication(env, pool, registry, monitor, server, executor);
        } catch (Exception | Error e) {
            if (monitor != null) {
                monitor.close();
            }
            if (pool != null) {
                pool.close();
            }
            env.close();
            throw e;
        }
    }

    /** @return the HTTP port */
    public int port() {
        return server.getAddress().getPort();
    }

    /** @return the demo environment underneath (the embedded database) */
    public DemoEnvironment environment() {
        return env;
    }

    /** @return the monitor behind the health endpoints */
    public DbGuardMonitor monitor() {
        return monitor;
    }

    private static void listOrders(HttpExchange exchange, DataSource dataSource) throws IOException {
        try {
            List<String> orders = QueryOperation.call("list-orders", () -> {
                List<String> rows = new ArrayList<>();
                try (Connection c = dataSource.getConnection()) {
                    try (Statement st = c.createStatement();
                         ResultSet rs = st.executeQuery("SELECT id, customer, total_cents FROM orders ORDER BY id")) {
                        while (rs.next()) {
                            rows.add("{\"id\":" + rs.getLong(1) + ",\"customer\":" + json(rs.getString(2))
                                    + ",\"totalCents\":" + rs.getLong(3) + "}");
                        }
                    }
                    c.commit();
                }
                return rows;
            });
            respond(exchange, 200, "application/json", "{\"tenant\":" + json(Tenant.current().orElse(null))
                    + ",\"orders\":[" + String.join(",", orders) + "]}");
        } catch (InvalidTenantIdException e) {
            respond(exchange, 400, "application/json", "{\"error\":\"malformed tenant id\"}");
        } catch (MissingTenantException e) {
            respond(exchange, 500, "application/json", "{\"error\":" + json(e.getMessage()) + "}");
        } catch (Exception e) {
            LOG.warn("GET /api/orders failed", e);
            respond(exchange, 500, "application/json", "{\"error\":\"internal error\"}");
        }
    }

    private static void countOrders(HttpExchange exchange, DataSource dataSource) throws IOException {
        try (Connection c = dataSource.getConnection()) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM orders")) {
                rs.next();
                respond(exchange, 200, "application/json", "{\"orders\":" + rs.getLong(1) + "}");
            } finally {
                c.rollback();
            }
        } catch (MissingTenantException e) {
            LOG.error("A route without tenant scope reached the database", e);
            respond(exchange, 500, "application/json", "{\"error\":" + json(e.getMessage()) + ",\"caller\":"
                    + json(e.caller()) + "}");
        } catch (SQLException e) {
            respond(exchange, 500, "application/json", "{\"error\":\"database error " + e.getSQLState() + "\"}");
        }
    }

    static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    static String json(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        for (char ch : value.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        monitor.close();
        pool.close();
        registry.close();
        env.close();
    }

    /**
     * Runs the demo service until the process is stopped.
     *
     * @param args optional: the HTTP port (default 8080)
     * @throws Exception when startup fails
     */
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
        DemoApplication app = start(port);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            stopped.countDown();
        }, "demo-shutdown"));
        printUsage(app.port(), System.out);
        stopped.await();
    }

    /**
     * Prints what to try against the running service.
     *
     * @param port the HTTP port
     * @param out  where to print
     */
    public static void printUsage(int port, java.io.PrintStream out) {
        String base = "http://127.0.0.1:" + port;
        out.println("Ampora demo service running. Try:");
        out.println("  curl -H 'X-Tenant-Id: " + DemoEnvironment.TENANT_A + "' " + base + "/api/orders");
        out.println("  curl -H 'X-Tenant-Id: " + DemoEnvironment.TENANT_B + "' " + base + "/api/orders");
        out.println("  curl " + base + "/api/orders                  # 401: no tenant");
        out.println("  curl " + base + "/api/admin/order-count       # a route without the tenant filter: 500 naming the caller");
        out.println("  curl " + base + "/health/ready");
        out.println("  curl " + base + "/metrics | grep ampora_db_query_duration_seconds_bucket");
        out.println("Stop with Ctrl-C.");
        out.flush();
    }
}
