package io.ampora.dbguard.examples.demo;

import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.examples.demo.ConnectionScenarios.Simple;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

/** Runbook sections 3 and 6: bloat left by mass deletes, and indexes or tables that cost without serving. */
final class HygieneScenarios {

    private HygieneScenarios() {
    }

    static List<Scenario> all() {
        return List.of(
                new Simple("table-bloat", RunbookSection.SLOW_QUERIES, "table-bloat",
                        "order_events (15 MB): 60 % of its rows purged and VACUUMed; the space stays in the table", env -> {
                            owner(env, "CREATE TABLE order_events (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, kind text,"
                                    + " at timestamptz NOT NULL DEFAULT now());"
                                    + " INSERT INTO order_events (id, tenant_id, kind) SELECT i, '" + DemoEnvironment.TENANT_A
                                    + "', 'order.viewed from the mobile app' FROM generate_series(1, 200000) AS i;"
                                    + " DELETE FROM order_events WHERE id % 5 IN (0, 1, 2)");
                            try {
                                env.admin("VACUUM (ANALYZE) order_events");
                                env.note("after the purge and the VACUUM: order_events is "
                                        + env.adminQuery("SELECT pg_size_pretty(pg_relation_size('order_events'))")
                                        + " for " + env.adminQuery("SELECT count(*) FROM order_events") + " rows");
                                return env.guardAsApp().build().report();
                            } finally {
                                owner(env, "DROP TABLE order_events");
                            }
                        }),
                new Simple("vacuum-held-back", RunbookSection.SLOW_QUERIES, "vacuum-health",
                        "a psql session opened a transaction and stayed; the nightly purge deleted 60 % of order_audit and"
                                + " its VACUUM removed none of it: the open transaction may still see those rows", env -> {
                            owner(env, "CREATE TABLE order_audit (id bigint PRIMARY KEY, note text);"
                                    + " INSERT INTO order_audit SELECT i, 'status changed' FROM generate_series(1, 20000) AS i");
                            env.admin("VACUUM (ANALYZE) order_audit");
                            Connection psql = env.openSession("postgres", null, "psql");
                            psql.setAutoCommit(false);
                            try (Statement st = psql.createStatement()) {
                                st.execute("SELECT pg_catalog.txid_current()");
                            }
                            try {
                                owner(env, "DELETE FROM order_audit WHERE id % 5 IN (0, 1, 2)");
                                env.admin("VACUUM order_audit");
                                env.awaitTableStats("order_audit", "n_dead_tup", 12000);
                                return env.guardAsApp().build().report();
                            } finally {
                                psql.rollback();
                                owner(env, "DROP TABLE order_audit");
                            }
                        }),
                new Simple("left-behind-slot", RunbookSection.SLOW_QUERIES, "vacuum-health",
                        "a reporting standby was shut down for good, its replication slot left on the primary: the slot"
                                + " keeps the xmin the standby last reported, so the nightly purge's VACUUM removes none of"
                                + " order_audit's deleted rows (and the slot keeps WAL too)", env -> {
                            owner(env, "CREATE TABLE order_audit (id bigint PRIMARY KEY, note text);"
                                    + " INSERT INTO order_audit SELECT i, 'status changed' FROM generate_series(1, 20000) AS i");
                            env.admin("VACUUM (ANALYZE) order_audit");
                            try (DemoStandby standby = DemoStandby.start(env)) {
                                standby.sendFeedback(Duration.ofSeconds(15));
                                standby.stopLeavingSlot(Duration.ofSeconds(15));
                                owner(env, "DELETE FROM order_audit WHERE id % 5 IN (0, 1, 2)");
                                env.admin("VACUUM order_audit");
                                env.awaitTableStats("order_audit", "n_dead_tup", 12000);
                                return env.guardAsApp().build().report();
                            } finally {
                                owner(env, "DROP TABLE order_audit");
                            }
                        }),
                new Simple("index-bloat", RunbookSection.DISK_FULL, "index-bloat",
                        "order_tokens' token index after 60 % of the rows were deleted at random", env -> {
                            owner(env, "CREATE TABLE order_tokens (id bigint PRIMARY KEY, token text NOT NULL);"
                                    + " INSERT INTO order_tokens SELECT i, md5(i::text) FROM generate_series(1, 250000) AS i;"
                                    + " CREATE INDEX order_tokens_token_idx ON order_tokens (token);"
                                    + " DELETE FROM order_tokens WHERE id % 5 IN (0, 2, 4)");
                            try {
                                env.admin("VACUUM (ANALYZE) order_tokens");
                                return env.guardAsApp().build().report();
                            } finally {
                                owner(env, "DROP TABLE order_tokens");
                            }
                        }),
                new Simple("duplicate-index", RunbookSection.DISK_FULL, "duplicate-indexes",
                        "two releases each added an index on orders (customer): every insert now maintains both", env -> {
                            owner(env, "CREATE INDEX orders_customer_idx ON orders (customer);"
                                    + " CREATE INDEX orders_customer_lookup ON orders (customer)");
                            try {
                                return env.guardAsApp().build().report();
                            } finally {
                                owner(env, "DROP INDEX orders_customer_idx; DROP INDEX orders_customer_lookup");
                            }
                        }),
                new Simple("unused-index", RunbookSection.DISK_FULL, "unused-indexes",
                        "an index on orders (total_cents) built for a report that was removed: no scan since",
                        env -> {
                            owner(env, "CREATE INDEX orders_total_cents_idx ON orders (total_cents)");
                            try {
                                // the demo's statistics are minutes old; a service keeps the default (7 days)
                                return env.guardAsApp().set("unused-indexes.minStatisticsAge", "1ms").build().report();
                            } finally {
                                owner(env, "DROP INDEX orders_total_cents_idx");
                            }
                        }),
                new Simple("table-without-primary-key", RunbookSection.BEYOND_RUNBOOK, "tables-without-primary-key",
                        "an import staging table created without a key: logical replication cannot replicate its updates",
                        env -> {
                            owner(env, "CREATE TABLE import_staging (order_ref text, total_cents bigint)");
                            try {
                                return env.guardAsApp().build().report();
                            } finally {
                                owner(env, "DROP TABLE import_staging");
                            }
                        }));
    }

    /** Runs SQL as the schema's owner, so the application role gets its privileges (and sees the statistics). */
    private static void owner(DemoEnvironment env, String sql) throws SQLException {
        try (Connection c = env.ownerDataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
