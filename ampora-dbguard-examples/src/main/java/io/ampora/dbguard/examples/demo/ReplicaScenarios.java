package io.ampora.dbguard.examples.demo;

import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.examples.demo.ConnectionScenarios.Simple;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

/**
 * Runbook section 5, replica lag and queries cancelled on the replica, and a standby where the primary should be
 * (section 1: it connects, writes fail).
 */
final class ReplicaScenarios {

    private ReplicaScenarios() {
    }

    static List<Scenario> all() {
        return List.of(new Simple("replica-lag", RunbookSection.REPLICA_LAG, "replica-lag",
                "a real streaming replica of the demo database stops replaying while the primary takes orders", env -> {
                    try (DemoStandby standby = DemoStandby.start(env)) {
                        env.admin("UPDATE tenants SET name = name");
                        standby.awaitReplayed(Duration.ofSeconds(15));
                        standby.query("SELECT pg_catalog.pg_wal_replay_pause()");
                        try {
                            env.admin("INSERT INTO orders (tenant_id, customer, total_cents) VALUES ('"
                                    + DemoEnvironment.TENANT_A + "', 'Edsger', 700)");
                            Thread.sleep(1_500);
                            env.admin("INSERT INTO orders (tenant_id, customer, total_cents) VALUES ('"
                                    + DemoEnvironment.TENANT_B + "', 'Barbara', 300)");
                            return env.guardAsApp().replicaJdbcUrl(standby.jdbcUrl()).build().report();
                        } finally {
                            standby.query("SELECT pg_catalog.pg_wal_replay_resume()");
                        }
                    }
                }),
                new Simple("replica-conflict", RunbookSection.REPLICA_LAG, "replica-conflicts",
                        "a migration on the primary locks orders while a dashboard reads it on the replica: replay cancels"
                                + " the dashboard's query (\"conflict with recovery\")", env -> {
                    try (DemoStandby standby = DemoStandby.start(env)) {
                        env.admin("UPDATE tenants SET name = name");
                        standby.awaitReplayed(Duration.ofSeconds(15));
                        try (Connection admin = onStandby(standby, "ampora-demo-admin");
                             Statement st = admin.createStatement()) {
                            // cancel a conflicting query after 200ms instead of the default 30s
                            st.execute("ALTER SYSTEM SET max_standby_streaming_delay = '200ms'");
                            st.execute("SELECT pg_catalog.pg_reload_conf()");
                        }
                        awaitOnStandby(standby,
                                "SELECT pg_catalog.current_setting('max_standby_streaming_delay') = '200ms'");
                        try (Connection dashboard = onStandby(standby, "ampora-dashboard")) {
                            dashboard.setAutoCommit(false);
                            try (Statement st = dashboard.createStatement()) {
                                st.executeQuery("SELECT count(*) FROM orders").close();
                            }
                            // what ALTER TABLE orders ... takes, without changing the demo's schema
                            env.admin("BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE; COMMIT");
                            awaitOnStandby(standby, "SELECT confl_lock > 0 FROM pg_catalog.pg_stat_database_conflicts"
                                    + " WHERE datname = current_database()");
                            try (Statement st = dashboard.createStatement()) {
                                st.executeQuery("SELECT count(*) FROM orders").close();
                                env.note("the dashboard's transaction on the replica survived (unexpected)");
                            } catch (SQLException e) {
                                env.note("the dashboard's next read on the replica failed: " + e.getMessage().lines()
                                        .findFirst().orElse("") + " (SQLSTATE " + e.getSQLState() + ")");
                            }
                        }
                        return env.guardAsApp().replicaJdbcUrl(standby.jdbcUrl()).build().report();
                    }
                }),
                new Simple("stale-primary", RunbookSection.CANNOT_CONNECT, "connectivity",
                        "after a failover the application's URL still names the old primary, now a standby: it connects,"
                                + " and every write fails", env -> {
                    try (DemoStandby standby = DemoStandby.start(env)) {
                        env.admin("UPDATE tenants SET name = name");
                        standby.awaitReplayed(Duration.ofSeconds(15));
                        return env.guardAsApp().jdbcUrl(standby.jdbcUrl()).build().report();
                    }
                }));
    }

    /** A superuser session on the standby's demo database. */
    private static Connection onStandby(DemoStandby standby, String applicationName) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("ApplicationName", applicationName);
        return new org.postgresql.Driver().connect(standby.jdbcUrl(), p);
    }

    /** Waits (up to 15 s) until a query on the standby returns true: settings and statistics arrive a moment later. */
    private static void awaitOnStandby(DemoStandby standby, String condition) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!"t".equals(standby.query(condition))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the demo standby did not reach '" + condition + "' within 15s");
            }
            Thread.sleep(100);
        }
    }
}
