package io.ampora.dbguard.rls;

import io.ampora.dbguard.check.Sql;

/**
 * The database side of the guard: a function {@code ampora_current_tenant()} for RLS policies that
 * returns the bound tenant or raises an error (SQLSTATE {@code 42501}) when the setting is NULL or
 * {@code ''}, so that a session without a tenant gets an error instead of an empty result.
 *
 * <p>The text lives in the resource {@code io/ampora/dbguard/rls/tenant-helper.sql}; apply it in a
 * migration (copy it into a Flyway or Liquibase script, or execute {@link #sql()} from a Java migration).
 */
public final class TenantHelper {

    /** The name of the function the SQL defines. */
    public static final String FUNCTION = "ampora_current_tenant";

    private TenantHelper() {
    }

    /**
     * The {@code CREATE OR REPLACE FUNCTION ampora_current_tenant(setting_name text DEFAULT 'app.tenant_id')}
     * statement, with comments showing a policy that uses it. Idempotent; create it in the schema the
     * policies resolve it from (usually {@code public}).
     *
     * @return the SQL text
     */
    public static String sql() {
        return Sql.load(TenantHelper.class, "tenant-helper");
    }
}
