package io.ampora.dbguard.rls;

import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.Sql;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;

/**
 * Runbook 9's first two diagnostic steps, automated: {@code SHOW ROLE} and
 * {@code SELECT current_setting('app.tenant_id')} in a session opened the way the guard was configured,
 * i.e. what an out-of-band session with these credentials would see under RLS.
 *
 * <p>PASS with the evidence when the session has no tenant (RLS then hides every row from it: expected
 * for a diagnostic session, and the explanation of "data is missing" reports from psql). WARN when the
 * role bypasses RLS (it sees every tenant) or when a tenant is already set at session start (a role or
 * database default such as {@code ALTER ROLE ... SET app.tenant_id}, which binds every session of the
 * role to one tenant).
 */
public final class TenantContextCheck implements DatabaseCheck {

    /** The setting the policies read. */
    public static final CheckSetting<String> TENANT_SETTING = CheckSetting.text("tenantSetting", "app.tenant_id",
            "the custom setting the RLS policies read the tenant from");

    @Override
    public String id() {
        return "tenant-context";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.RLS_LOCKOUT;
    }

    @Override
    public String description() {
        return "Shows what a session with the guard's credentials sees under RLS: current_user, SHOW ROLE and the"
                + " tenant setting (runbook 9's diagnostic steps).";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(TENANT_SETTING);
    }

    @Override
    public boolean startupCritical() {
        return false;
    }

    /**
     * {@link CheckScope#INSTANCE}: it proves this instance's tenant binding.
     *
     * @return {@link CheckScope#INSTANCE}
     */
    @Override
    public CheckScope scope() {
        return CheckScope.INSTANCE;
    }

    /**
     * {@link CheckCost#CHEAP}: a few rows from statistics views.
     *
     * @return {@link CheckCost#CHEAP}
     */
    @Override
    public CheckCost cost() {
        return CheckCost.CHEAP;
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        String setting = context.setting(TENANT_SETTING);
        try (PreparedStatement st = context.connection().prepareStatement(Sql.load(TenantContextCheck.class, id()))) {
            st.setString(1, setting);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                String user = rs.getString("current_user_name");
                String role = rs.getString("role");
                String tenant = rs.getString("tenant");
                boolean superuser = rs.getBoolean("superuser");
                boolean bypass = rs.getBoolean("bypass_rls");
                String tenantText = tenant == null ? "NULL (never set in this session)"
                        : tenant.isEmpty() ? "'' (set earlier in this session and ended: reads as missing)" : "'" + tenant + "'";
                Finding evidence = Finding.builder("current_user " + user + ", session_user "
                                + rs.getString("session_user_name") + ", SHOW ROLE " + role + ", " + setting + " = "
                                + tenantText + ".")
                        .detail("currentUser", user)
                        .detail("sessionUser", rs.getString("session_user_name"))
                        .detail("role", role)
                        .detail("tenantSetting", setting)
                        .detail("tenant", tenant)
                        .detail("superuser", superuser)
                        .detail("bypassRls", bypass)
                        .build();
                CheckResult.Builder result = CheckResult.builder(this).finding(evidence);
                if (superuser || bypass) {
                    return result.status(CheckStatus.WARN)
                            .summary("Role " + user + (superuser ? " is a superuser" : " has BYPASSRLS")
                                    + ": a session like this one ignores RLS and sees every tenant's rows.")
                            .remediation("Use a role without SUPERUSER/BYPASSRLS for application and ad-hoc reads;"
                                    + " keep bypassing roles for administration.")
                            .build();
                }
                if (tenant != null && !tenant.isEmpty()) {
                    return result.status(CheckStatus.WARN)
                            .summary("Sessions of role " + user + " start with " + setting + " = '" + tenant
                                    + "' already set: a role or database default binds every session to one tenant.")
                            .remediation("Find it with SELECT * FROM pg_db_role_setting and remove it with ALTER ROLE "
                                    + user + " RESET " + setting + " (or ALTER DATABASE ... RESET); bind the tenant per"
                                    + " transaction instead.")
                            .build();
                }
                return result.summary("A session as " + user + " (SHOW ROLE " + role + ") has no tenant: " + setting
                                + " is " + (tenant == null ? "NULL" : "''") + ", so RLS hides every tenant row from it"
                                + " (runbook 9). That explains 'data is missing' in psql; the application binds the"
                                + " tenant per transaction.")
                        .remediation("To look at a tenant's data out of band: BEGIN; SELECT set_config('" + setting
                                + "', '<tenant id>', true); ...; COMMIT;")
                        .build();
            }
        }
    }
}
