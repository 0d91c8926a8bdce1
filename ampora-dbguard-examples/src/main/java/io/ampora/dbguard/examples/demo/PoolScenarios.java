package io.ampora.dbguard.examples.demo;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.examples.demo.ConnectionScenarios.Simple;
import io.ampora.dbguard.hikari.GuardedPool;
import io.ampora.dbguard.hikari.LeakReport;
import io.ampora.dbguard.hikari.PoolExhaustedException;
import io.ampora.dbguard.hikari.PoolGuardConfig;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/** Runbook section 4: connection pool exhausted. */
final class PoolScenarios {

    private PoolScenarios() {
    }

    static List<Scenario> all() {
        return List.of(
                new Simple("pool-leak", RunbookSection.POOL_EXHAUSTED, "pool-saturation",
                        "an export job borrows a connection and forgets to close it (leak threshold 300ms)", env -> {
                            try (GuardedPool pool = pool(env, 4, 2_000)) {
                                Connection leaked = OrderExport.start(pool);
                                try {
                                    awaitLeak(pool);
                                    LeakReport leak = pool.leakReports().get(0);
                                    env.note("leak detector: " + leak.message().lines().findFirst().orElse(""));
                                    return guard(env, pool).build().report();
                                } finally {
                                    leaked.close();
                                }
                            }
                        }),
                new Simple("pool-exhausted", RunbookSection.POOL_EXHAUSTED, "pool-saturation",
                        "three leaked connections fill a 3-connection pool; the next request waits, then fails", env -> {
                            try (GuardedPool pool = pool(env, 3, 3_000)) {
                                List<Connection> leaked = new ArrayList<>();
                                try {
                                    for (int i = 0; i < 3; i++) {
                                        leaked.add(OrderExport.start(pool));
                                    }
                                    awaitLeak(pool);
                                    CompletableFuture<String> request = CompletableFuture.supplyAsync(() -> {
                                        try (Connection c = pool.getConnection()) {
                                            return "got a connection";
                                        } catch (PoolExhaustedException e) {
                                            return e.diagnosis().message();
                                        } catch (SQLException e) {
                                            return e.getMessage();
                                        }
                                    });
                                    Thread.sleep(300);
                                    var report = guard(env, pool).build().report();
                                    env.note("the waiting request failed: " + request.get(10, TimeUnit.SECONDS));
                                    return report;
                                } finally {
                                    for (Connection c : leaked) {
                                        c.close();
                                    }
                                }
                            }
                        }),
                new Simple("dropped-connection", RunbookSection.POOL_EXHAUSTED, "pool-saturation",
                        "a retry path drops a connection inside a transaction that locked an order; the pool reclaims it", env -> {
                            try (GuardedPool pool = GuardedPool.wrap(hikari(env, 2, 2_000), PoolGuardConfig.custom()
                                    .leakThreshold(Duration.ofSeconds(30)).sampleEvery(1).reclaimUnclosed(true).build())) {
                                long order = OrderRetry.lockAndDrop(pool);
                                LeakReport dropped = awaitUnclosed(pool);
                                env.note("leak detector: " + dropped.message().lines().findFirst().orElse(""));
                                env.admin("SET lock_timeout = '2s'; UPDATE orders SET total_cents = total_cents WHERE id = " + order);
                                env.note("another session updated order " + order + " right after: its lock was released");
                                return guard(env, pool).build().report();
                            }
                        }),
                new Simple("idle-session-timeout", RunbookSection.POOL_EXHAUSTED, "pool-idle-timeout",
                        "idle_session_timeout = 1min was set for the application's role to reap forgotten psql sessions;"
                                + " the pool keeps idle connections longer, so the server ends them under it", env -> {
                            env.admin("ALTER ROLE " + DemoEnvironment.APP_ROLE + " SET idle_session_timeout = '1min'");
                            try (GuardedPool pool = pool(env, 2, 2_000)) {
                                return guard(env, pool).build().report();
                            } finally {
                                env.admin("ALTER ROLE " + DemoEnvironment.APP_ROLE + " RESET idle_session_timeout");
                            }
                        }));
    }

    private static GuardedPool pool(DemoEnvironment env, int size, long connectionTimeoutMs) {
        return GuardedPool.wrap(hikari(env, size, connectionTimeoutMs), PoolGuardConfig.custom()
                .leakThreshold(Duration.ofMillis(300)).sampleEvery(1).build());
    }

    private static HikariDataSource hikari(DemoEnvironment env, int size, long connectionTimeoutMs) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("ampora-demo-pool");
        config.setJdbcUrl(env.jdbcUrl());
        config.setUsername(DemoEnvironment.APP_ROLE);
        config.setPassword(env.appPassword());
        config.addDataSourceProperty("ApplicationName", DemoEnvironment.APP_NAME);
        config.setAutoCommit(false);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(0);
        config.setConnectionTimeout(connectionTimeoutMs);
        return new HikariDataSource(config);
    }

    private static DbGuard.Builder guard(DemoEnvironment env, GuardedPool pool) {
        DbGuard.Builder builder = env.guardAsApp();
        pool.checks().forEach(builder::addCheck);
        return builder;
    }

    private static void awaitLeak(GuardedPool pool) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pool.leakReports().isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the leak detector reported nothing within 10s");
            }
            Thread.sleep(50);
        }
        Thread.sleep(200);
    }

    /** Waits (collecting garbage, as the JVM would on its own sooner or later) for the dropped connection's report. */
    private static LeakReport awaitUnclosed(GuardedPool pool) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            for (LeakReport r : pool.leakReports()) {
                if (r.kind() == LeakReport.Kind.UNCLOSED) {
                    return r;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the leak detector reported no dropped connection within 10s");
            }
            System.gc();
            Thread.sleep(50);
        }
    }

    /** Application code with the bug: on a retry it borrows again and drops the first connection, mid-transaction. */
    static final class OrderRetry {

        private OrderRetry() {
        }

        static long lockAndDrop(DataSource dataSource) throws SQLException {
            // c is neither committed nor closed: the transaction and its row lock stay open until someone notices
            Connection c = dataSource.getConnection();
            try (Statement st = c.createStatement()) {
                st.execute("SELECT pg_catalog.set_config('app.tenant_id', '" + DemoEnvironment.TENANT_A + "', true)");
                try (ResultSet rs = st.executeQuery("UPDATE orders SET total_cents = total_cents + 1"
                        + " WHERE id = (SELECT min(id) FROM orders) RETURNING id")) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        }
    }

    /** Application code with the bug: the connection is returned to the caller and never closed. */
    static final class OrderExport {

        private OrderExport() {
        }

        static Connection start(DataSource dataSource) throws SQLException {
            Connection c = dataSource.getConnection();
            try (Statement st = c.createStatement()) {
                st.execute("SELECT pg_catalog.set_config('app.tenant_id', '" + DemoEnvironment.TENANT_A + "', true)");
                st.executeQuery("SELECT id, customer FROM orders ORDER BY id").close();
            }
            return c;
        }
    }
}
