package io.ampora.dbguard.examples.demo;

import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.examples.demo.ConnectionScenarios.Simple;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/** Runbook section 3: slow queries. */
final class QueryScenarios {

    private QueryScenarios() {
    }

    static List<Scenario> all() {
        return List.of(
                new Simple("slow-query", RunbookSection.SLOW_QUERIES, "slow-queries",
                        "the monthly revenue report takes 150 ms a call (pg_sleep stands in for a heavy plan)", env -> {
                            env.admin("SELECT pg_stat_statements_reset()");
                            try {
                                asApp(env, DemoEnvironment.TENANT_A, st -> {
                                    for (int i = 0; i < 6; i++) {
                                        st.executeQuery("SELECT date_trunc('month', created_at) AS month, sum(total_cents)"
                                                + " FROM orders, pg_sleep(0.15) GROUP BY 1 ORDER BY 1").close();
                                    }
                                });
                                return env.guardAsApp().build().report();
                            } finally {
                                env.admin("SELECT pg_stat_statements_reset()");
                            }
                        }),
                new Simple("temp-spill", RunbookSection.SLOW_QUERIES, "temp-files",
                        "tenant Acme's orders list pages deep by customer (OFFSET 59,900 of 60,000 rows): the sort"
                                + " outgrows work_mem and spills to temporary files on every page", env -> {
                            env.admin("SELECT pg_stat_statements_reset();"
                                    + " INSERT INTO orders (tenant_id, customer, total_cents)"
                                    + " SELECT '" + DemoEnvironment.TENANT_A + "'::uuid,"
                                    + " 'bulk-' || md5(i::text) || ' ' || repeat('.', 200), i"
                                    + " FROM generate_series(1, 60000) AS i");
                            env.awaitTableStats("orders", "n_tup_ins", 60_000);
                            env.admin("ANALYZE orders");
                            try {
                                asApp(env, DemoEnvironment.TENANT_A, st -> {
                                    for (int i = 0; i < 5; i++) {
                                        st.executeQuery("SELECT id, customer, total_cents FROM orders"
                                                + " ORDER BY customer LIMIT 50 OFFSET 59900").close();
                                    }
                                });
                                env.note("tenant Acme's orders list, page 1199 sorted by customer, ran 5 times with"
                                        + " work_mem " + env.adminQuery("SHOW work_mem"));
                                return env.guardAsApp().build().report();
                            } finally {
                                env.admin("DELETE FROM orders WHERE customer LIKE 'bulk-%'");
                                env.awaitTableStats("orders", "n_tup_del", 60_000);
                                env.admin("VACUUM (ANALYZE) orders");
                                env.admin("SELECT pg_stat_statements_reset()");
                            }
                        }),
                new Simple("missing-gin-index", RunbookSection.SLOW_QUERIES, "jsonb-gin-index",
                        "a new filter on orders.attributes (jsonb @>) ships without a GIN index; orders has 30,000 rows", env -> {
                            env.admin("SELECT pg_stat_statements_reset();"
                                    + " INSERT INTO orders (tenant_id, customer, total_cents, attributes)"
                                    + " SELECT CASE WHEN i % 2 = 0 THEN '" + DemoEnvironment.TENANT_A + "'::uuid ELSE '"
                                    + DemoEnvironment.TENANT_B + "'::uuid END, 'bulk-' || i, i,"
                                    + " jsonb_build_object('channel', CASE WHEN i % 10 = 0 THEN 'phone' ELSE 'web' END, 'batch', i % 100)"
                                    + " FROM generate_series(1, 30000) AS i");
                            env.awaitTableStats("orders", "n_tup_ins", 30_000);
                            env.admin("ANALYZE orders");
                            try {
                                asApp(env, DemoEnvironment.TENANT_A, st -> {
                                    for (int i = 0; i < 5; i++) {
                                        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM orders"
                                                + " WHERE attributes @> '{\"channel\": \"phone\"}'")) {
                                            rs.next();
                                            if (i == 0) {
                                                env.note("the phone-orders filter of tenant Acme scanned the table: "
                                                        + rs.getLong(1) + " rows matched");
                                            }
                                        }
                                    }
                                });
                                return env.guardAsApp().build().report();
                            } finally {
                                env.admin("DELETE FROM orders WHERE customer LIKE 'bulk-%'");
                                env.awaitTableStats("orders", "n_tup_del", 30_000);
                                env.admin("VACUUM (ANALYZE) orders");
                                env.admin("SELECT pg_stat_statements_reset()");
                            }
                        }));
    }

    /** Work on a statement of an application session bound to a tenant, in one transaction. */
    @FunctionalInterface
    interface Work {
        void run(Statement st) throws SQLException;
    }

    static void asApp(DemoEnvironment env, String tenant, Work work) throws SQLException {
        try (Connection c = env.appDataSource().getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("SELECT pg_catalog.set_config('app.tenant_id', '" + tenant + "', true)");
                work.run(st);
            }
            c.commit();
        }
    }
}
