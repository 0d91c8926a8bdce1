package io.ampora.dbguard.examples.demo;

import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.report.Report;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** Runbook section 1 scenarios: cannot connect. */
final class ConnectionScenarios {

    private ConnectionScenarios() {
    }

    static List<Scenario> all() {
        return List.of(
                new Simple("refused", RunbookSection.CANNOT_CONNECT, "connectivity",
                        "the connection string points at a port where nothing listens", env -> {
                            int port;
                            try (ServerSocket s = new ServerSocket(0)) {
                                port = s.getLocalPort();
                            }
                            return env.guardAsApp().jdbcUrl("jdbc:postgresql://localhost:" + port + "/" + DemoEnvironment.DATABASE)
                                    .build().report();
                        }),
                new Simple("wrong-password", RunbookSection.CANNOT_CONNECT, "connectivity",
                        "the application's secret holds an old password", env ->
                        env.guardAsApp().password("last-years-password").build().report()),
                new Simple("insecure-tls", RunbookSection.CANNOT_CONNECT, "tls",
                        "a NonValidatingFactory left over from development: any server certificate is accepted", env ->
                        env.guardAsApp().jdbcUrl(env.jdbcUrl() + "?sslmode=prefer&sslfactory=org.postgresql.ssl.NonValidatingFactory")
                                .production(true).build().report()),
                new Simple("too-many-clients", RunbookSection.CANNOT_CONNECT, "connectivity",
                        "other clients took every connection slot (max_connections)", env -> {
                            List<Connection> hogs = new ArrayList<>();
                            try {
                                while (hogs.size() < 100) {
                                    hogs.add(env.openSession(DemoEnvironment.APP_ROLE, env.appPassword(), "batch-import"));
                                }
                            } catch (SQLException full) {
                                // every slot is taken now
                            }
                            try {
                                return env.guardAsApp().build().report();
                            } finally {
                                env.closeSessions();
                                env.awaitSessionsGone("batch-import"); // the next scenario needs the slots back
                            }
                        }),
                new Simple("role-connection-limit", RunbookSection.CANNOT_CONNECT, "connectivity",
                        "the application's role has CONNECTION LIMIT 3 and a batch job logged in as it holds all three;"
                                + " the server has free slots", env -> {
                            env.admin("ALTER ROLE " + DemoEnvironment.APP_ROLE + " CONNECTION LIMIT 3");
                            try {
                                for (int i = 0; i < 3; i++) {
                                    env.openSession(DemoEnvironment.APP_ROLE, env.appPassword(), "batch-import");
                                }
                                return env.guardAsApp().build().report();
                            } finally {
                                env.closeSessions();
                                env.admin("ALTER ROLE " + DemoEnvironment.APP_ROLE + " CONNECTION LIMIT -1");
                                env.awaitSessionsGone("batch-import");
                            }
                        }),
                new Simple("read-only-database", RunbookSection.CANNOT_CONNECT, "connectivity",
                        "the database was switched to read-only (ALTER DATABASE ... SET default_transaction_read_only, as"
                                + " providers do when the storage quota is exceeded): reads work, every write fails", env -> {
                            env.admin("ALTER DATABASE " + DemoEnvironment.DATABASE + " SET default_transaction_read_only = on");
                            try {
                                return env.guardAsApp().build().report();
                            } finally {
                                // a new session of that database is read-only itself: the reset asks for read-write
                                env.admin("BEGIN READ WRITE; ALTER DATABASE " + DemoEnvironment.DATABASE
                                        + " RESET default_transaction_read_only; COMMIT;");
                            }
                        }),
                new Simple("expiring-password", RunbookSection.CANNOT_CONNECT, "password-expiry",
                        "the application role's password expires in 5 days (VALID UNTIL): from then on every new"
                                + " connection fails with 28P01 although the password is right", env -> {
                            env.admin("ALTER ROLE " + DemoEnvironment.APP_ROLE + " VALID UNTIL '"
                                    + env.adminQuery("SELECT (now() + interval '5 days')::text") + "'");
                            try {
                                return env.guardAsApp().build().report();
                            } finally {
                                env.admin("ALTER ROLE " + DemoEnvironment.APP_ROLE + " VALID UNTIL 'infinity'");
                            }
                        }));
    }

    /** A scenario defined by a function. */
    record Simple(String name, RunbookSection runbook, String expectedCheck, String description, Body body)
            implements Scenario {

        @Override
        public Report reproduce(DemoEnvironment env) throws Exception {
            try {
                return body.run(env);
            } finally {
                env.closeSessions();
            }
        }
    }

    /** What a scenario does. */
    @FunctionalInterface
    interface Body {
        Report run(DemoEnvironment env) throws Exception;
    }
}
