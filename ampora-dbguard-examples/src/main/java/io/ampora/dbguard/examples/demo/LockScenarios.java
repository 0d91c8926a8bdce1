package io.ampora.dbguard.examples.demo;

import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.examples.demo.ConnectionScenarios.Simple;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runbook section 7: locked / wedged. */
final class LockScenarios {

    private LockScenarios() {
    }

    static List<Scenario> all() {
        return List.of(
                new Simple("blocking-lock", RunbookSection.LOCKED_WEDGED, "blocking-locks",
                        "a psql session updated an order and went to lunch; the application's update of it waits", env -> {
                            Connection psql = env.openSession("postgres", null, "psql");
                            psql.setAutoCommit(false);
                            try (Statement st = psql.createStatement()) {
                                st.executeUpdate("UPDATE orders SET total_cents = total_cents + 100 WHERE id = 1");
                            }
                            Connection app = env.openSession(DemoEnvironment.APP_ROLE, env.appPassword(), DemoEnvironment.APP_NAME);
                            app.setAutoCommit(false);
                            CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> {
                                try (Statement st = app.createStatement()) {
                                    st.execute("SELECT pg_catalog.set_config('app.tenant_id', '" + DemoEnvironment.TENANT_A + "', true)");
                                    return st.executeUpdate("UPDATE orders SET customer = 'Ada L.' WHERE id = 1");
                                } catch (SQLException e) {
                                    return -1;
                                }
                            });
                            try {
                                awaitWaiting(env, 1);
                                Thread.sleep(1_200);
                                return env.guardAsApp().set("blocking-locks.warnAfter", "1s").build().report();
                            } finally {
                                psql.rollback();
                                waiting.get(10, TimeUnit.SECONDS);
                                app.rollback();
                            }
                        }),
                new Simple("migration-lock-queue", RunbookSection.LOCKED_WEDGED, "blocking-locks",
                        "an analyst's report query holds a harmless read lock on orders; a deploy's ALTER TABLE waits"
                                + " for ACCESS EXCLUSIVE behind it, and the application's reads queue behind the ALTER", env -> {
                            Connection report = env.openSession("postgres", null, "metabase");
                            report.setAutoCommit(false);
                            try (Statement st = report.createStatement()) {
                                st.execute("SELECT count(*) FROM orders");
                            }
                            Connection deploy = env.openSession(DemoEnvironment.OWNER_ROLE, env.ownerPassword(), "Flyway by Redgate");
                            CompletableFuture<Boolean> migrating = CompletableFuture.supplyAsync(() -> {
                                try (Statement st = deploy.createStatement()) {
                                    return st.execute("ALTER TABLE orders ADD COLUMN gift_note text");
                                } catch (SQLException e) {
                                    return false;
                                }
                            });
                            Connection app = env.openSession(DemoEnvironment.APP_ROLE, env.appPassword(), DemoEnvironment.APP_NAME);
                            CompletableFuture<Integer> reading = CompletableFuture.supplyAsync(() -> {
                                try (Statement st = app.createStatement()) {
                                    st.execute("SELECT pg_catalog.set_config('app.tenant_id', '" + DemoEnvironment.TENANT_A + "', false)");
                                    return st.executeQuery("SELECT count(*) FROM orders").next() ? 1 : 0;
                                } catch (SQLException e) {
                                    return -1;
                                }
                            });
                            try {
                                awaitWaiting(env, 2);
                                Thread.sleep(1_200);
                                return env.guardAsApp().set("blocking-locks.warnAfter", "1s").build().report();
                            } finally {
                                // the fix the report gives first: cancel the waiting ALTER; the read then runs
                                env.admin("SELECT pg_catalog.pg_cancel_backend(pid) FROM pg_catalog.pg_stat_activity"
                                        + " WHERE application_name = 'Flyway by Redgate' AND datname = current_database()");
                                migrating.get(10, TimeUnit.SECONDS);
                                reading.get(10, TimeUnit.SECONDS);
                                report.rollback();
                            }
                        }),
                new Simple("idle-in-transaction", RunbookSection.LOCKED_WEDGED, "idle-in-transaction",
                        "a request handler opened a transaction, locked an order and never committed (warnAfter lowered to 1s)", env -> {
                            Connection app = env.openSession(DemoEnvironment.APP_ROLE, env.appPassword(), DemoEnvironment.APP_NAME);
                            app.setAutoCommit(false);
                            try (Statement st = app.createStatement()) {
                                st.execute("SELECT pg_catalog.set_config('app.tenant_id', '" + DemoEnvironment.TENANT_B + "', true)");
                                st.execute("SELECT id, total_cents FROM orders WHERE customer = 'Grace' FOR UPDATE");
                            }
                            Thread.sleep(1_200);
                            return env.guardAsApp().set("idle-in-transaction.warnAfter", "1s").build().report();
                        }),
                new Simple("prepared-transaction", RunbookSection.LOCKED_WEDGED, "prepared-transactions",
                        "a transaction manager prepared an update of an order (two-phase commit) and crashed before"
                                + " COMMIT PREPARED; the application's update of that order waits on nobody (warnAfter 1s)", env -> {
                            Connection coordinator = env.openSession(DemoEnvironment.APP_ROLE, env.appPassword(), "xa-coordinator");
                            coordinator.setAutoCommit(false);
                            try (Statement st = coordinator.createStatement()) {
                                st.execute("SELECT pg_catalog.set_config('app.tenant_id', '" + DemoEnvironment.TENANT_A + "', true)");
                                st.executeUpdate("UPDATE orders SET total_cents = total_cents + 1 WHERE customer = 'Alan'");
                                st.execute("PREPARE TRANSACTION 'ampora-xa-7f3e'");
                            }
                            coordinator.close(); // the coordinator is gone; the prepared transaction stays
                            Connection app = env.openSession(DemoEnvironment.APP_ROLE, env.appPassword(), DemoEnvironment.APP_NAME);
                            app.setAutoCommit(false);
                            CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> {
                                try (Statement st = app.createStatement()) {
                                    st.execute("SELECT pg_catalog.set_config('app.tenant_id', '" + DemoEnvironment.TENANT_A + "', true)");
                                    return st.executeUpdate("UPDATE orders SET customer = 'Alan T.' WHERE customer = 'Alan'");
                                } catch (SQLException e) {
                                    return -1;
                                }
                            });
                            try {
                                awaitWaiting(env, 1);
                                Thread.sleep(1_200);
                                return env.guardAsApp().set("prepared-transactions.warnAfter", "1s")
                                        .set("blocking-locks.warnAfter", "1s").build().report();
                            } finally {
                                env.admin("ROLLBACK PREPARED 'ampora-xa-7f3e'");
                                waiting.get(10, TimeUnit.SECONDS);
                                app.rollback();
                            }
                        }));
    }

    private static void awaitWaiting(DemoEnvironment env, int sessions) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Integer.parseInt(env.adminQuery("SELECT count(*) FROM pg_catalog.pg_stat_activity"
                + " WHERE wait_event_type = 'Lock' AND datname = current_database()")) < sessions) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the application's update did not start waiting on the lock");
            }
            Thread.sleep(50);
        }
    }
}
