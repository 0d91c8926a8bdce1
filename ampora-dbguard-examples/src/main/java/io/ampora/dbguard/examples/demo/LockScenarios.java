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
                new Simple("wraparound-autovacuum", RunbookSection.LOCKED_WEDGED, "blocking-locks",
                        "autovacuum freezes a big, rarely written ledger to prevent transaction ID wraparound, throttled"
                                + " by its cost delay; a deploy's ALTER TABLE waits behind it and the application's reads"
                                + " queue behind the ALTER; this autovacuum does not give way, and terminating it only"
                                + " restarts it", env -> {
                            // the table's own freeze age at its minimum and 110,000 transactions: the same autovacuum
                            // a table gets at 200 million on a busy server; routine autovacuum off, which does not stop it
                            env.admin("ALTER SYSTEM SET autovacuum_naptime = '1s'; SELECT pg_catalog.pg_reload_conf()");
                            env.admin("SET ROLE " + DemoEnvironment.OWNER_ROLE + "; CREATE TABLE ledger (id int PRIMARY KEY, entry text)"
                                    + " WITH (autovacuum_enabled = false, autovacuum_freeze_max_age = 100000,"
                                    + " autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1);"
                                    + " INSERT INTO ledger SELECT g, repeat('l', 200) FROM generate_series(1, 20000) g");
                            env.awaitTableStats("ledger", "n_tup_ins", 20000); // else counts landing later make it look stale
                            env.admin("ANALYZE ledger");
                            // alone in its statement: a DO block may commit only outside a transaction block
                            env.admin("DO $$ BEGIN FOR i IN 1..110000 LOOP PERFORM pg_catalog.txid_current(); COMMIT;"
                                    + " END LOOP; END $$");
                            Connection deploy = env.openSession(DemoEnvironment.OWNER_ROLE, env.ownerPassword(), "Flyway by Redgate");
                            CompletableFuture<Boolean> migrating = null;
                            CompletableFuture<Integer> reading = null;
                            try {
                                awaitRows(env, "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE backend_type ="
                                        + " 'autovacuum worker' AND query LIKE '%ledger (to prevent wraparound)'", 1,
                                        "autovacuum to start freezing ledger");
                                migrating = CompletableFuture.supplyAsync(() -> {
                                    try (Statement st = deploy.createStatement()) {
                                        return st.execute("ALTER TABLE ledger ADD COLUMN memo text");
                                    } catch (SQLException e) {
                                        return false;
                                    }
                                });
                                awaitWaiting(env, 1);
                                Connection app = env.openSession(DemoEnvironment.APP_ROLE, env.appPassword(), DemoEnvironment.APP_NAME);
                                reading = CompletableFuture.supplyAsync(() -> {
                                    try (Statement st = app.createStatement()) {
                                        return st.executeQuery("SELECT count(*) FROM ledger").next() ? 1 : 0;
                                    } catch (SQLException e) {
                                        return -1;
                                    }
                                });
                                awaitWaiting(env, 2);
                                Thread.sleep(1_200);
                                return env.guardAsApp().set("blocking-locks.warnAfter", "1s").build().report();
                            } finally {
                                env.admin("ALTER SYSTEM RESET autovacuum_naptime; SELECT pg_catalog.pg_reload_conf()");
                                // the fix the report gives: cancel the waiting ALTER, then freeze the table unthrottled
                                env.admin("SELECT pg_catalog.pg_cancel_backend(pid) FROM pg_catalog.pg_stat_activity"
                                        + " WHERE application_name = 'Flyway by Redgate' AND datname = current_database()");
                                if (migrating != null) {
                                    migrating.get(10, TimeUnit.SECONDS);
                                }
                                freezeAndDrop(env, "ledger");
                                if (reading != null) {
                                    reading.get(10, TimeUnit.SECONDS);
                                }
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

    private static void awaitRows(DemoEnvironment env, String countQuery, int atLeast, String what)
            throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (Integer.parseInt(env.adminQuery(countQuery)) < atLeast) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    /**
     * Ends the throttled autovacuum of a table, freezes it unthrottled (so that autovacuum does not come back for it)
     * and drops it; autovacuum may start again between the two, hence the retries.
     */
    private static void freezeAndDrop(DemoEnvironment env, String table) throws SQLException, InterruptedException {
        for (int attempt = 0; ; attempt++) {
            try {
                env.admin("SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE backend_type ="
                        + " 'autovacuum worker' AND datname = current_database(); SET lock_timeout = '2s';"
                        + " DROP TABLE " + table);
                return;
            } catch (SQLException lockTimeout) {
                if (attempt == 10) {
                    throw lockTimeout;
                }
                Thread.sleep(200);
            }
        }
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
