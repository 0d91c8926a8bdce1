package io.ampora.dbguard.examples.demo;

import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.examples.demo.ConnectionScenarios.Simple;
import io.ampora.dbguard.rls.MissingTenantException;
import io.ampora.dbguard.rls.TenantDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

/** Runbook section 9: RLS lock-out and tenant isolation. */
final class TenantScenarios {

    /** The policy of V3__row_level_security.sql, restored after {@code missing-tenant}. */
    static final String GOOD_POLICY = "CREATE POLICY tenant_isolation ON orders"
            + " USING (tenant_id = (SELECT ampora_current_tenant())::uuid)"
            + " WITH CHECK (tenant_id = (SELECT ampora_current_tenant())::uuid)";

    private TenantScenarios() {
    }

    static List<Scenario> all() {
        return List.of(
                new Simple("rls-bypass", RunbookSection.RLS_LOCKOUT, "rls-posture",
                        "the application role was given BYPASSRLS to 'fix' a report: every tenant now sees every row", env -> {
                            env.admin("ALTER ROLE " + DemoEnvironment.APP_ROLE + " BYPASSRLS");
                            try {
                                try (Connection c = env.appDataSource().getConnection(); Statement st = c.createStatement();
                                     ResultSet rs = st.executeQuery("SELECT count(DISTINCT tenant_id) FROM orders")) {
                                    rs.next();
                                    env.note("a query without any tenant returned the orders of " + rs.getInt(1) + " tenants");
                                }
                                return env.guardAsApp().build().report();
                            } finally {
                                env.admin("ALTER ROLE " + DemoEnvironment.APP_ROLE + " NOBYPASSRLS");
                            }
                        }),
                new Simple("missing-tenant", RunbookSection.RLS_LOCKOUT, "rls-posture",
                        "a handler forgot Tenant.run(...), and a hotfix replaced the policy with a bare current_setting()", env -> {
                            try {
                                OrderReport.countOrders(TenantDataSource.wrap(env.appDataSource()));
                            } catch (MissingTenantException e) {
                                env.note("the guarded DataSource refused: " + e.getMessage());
                            }
                            env.admin("DROP POLICY tenant_isolation ON orders;"
                                    + " CREATE POLICY tenant_isolation ON orders"
                                    + " USING (tenant_id::text = current_setting('app.tenant_id', true))");
                            try {
                                try (Connection c = env.appDataSource().getConnection(); Statement st = c.createStatement()) {
                                    // a pooled session: an earlier transaction bound a tenant, this one forgot to
                                    c.setAutoCommit(false);
                                    st.execute("SELECT pg_catalog.set_config('app.tenant_id', '" + DemoEnvironment.TENANT_A + "', true)");
                                    c.commit();
                                    try (ResultSet rs = st.executeQuery("SELECT count(*) FROM orders")) {
                                        rs.next();
                                        env.note("through the plain DataSource, with the hotfixed policy: " + rs.getInt(1)
                                                + " orders and no error (app.tenant_id reads '' on a reused session)");
                                    }
                                    c.rollback();
                                }
                                return env.guardAsApp().build().report();
                            } finally {
                                env.admin("DROP POLICY tenant_isolation ON orders; " + GOOD_POLICY);
                            }
                        }));
    }

    /** A piece of application code that forgot the tenant scope. */
    static final class OrderReport {

        private OrderReport() {
        }

        static int countOrders(javax.sql.DataSource dataSource) throws java.sql.SQLException {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM orders")) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        }
    }
}
