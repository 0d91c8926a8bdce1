package io.ampora.dbguard.rls;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.ServerFacts;
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.rls.internal.PolicyExpressions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runbook 9, before it happens: is Hard Isolation really in force for the tenant tables? For each
 * tenant table (named in {@code tables}, or every table with a {@code tenantColumn}) and each of its
 * partitions: RLS enabled, {@code FORCE ROW LEVEL SECURITY} set (else the owner bypasses it), at least
 * one policy, and policies that treat an empty tenant setting as missing. Then the application's role
 * ({@code current_user} of the guard's session): not a superuser, no {@code BYPASSRLS}, and not the
 * owner of a table without FORCE. Run the guard with the application's own credentials.
 *
 * <p>FAIL: RLS off, no policy, an unprotected partition, the role bypasses RLS. WARN: FORCE missing on a
 * table owned by another role (that role bypasses RLS), a policy that reads the setting without
 * {@code NULLIF(..., '')} or the shipped helper, a named table that does not exist.
 */
public final class RlsPostureCheck implements DatabaseCheck {

    /** The setting the policies read. */
    public static final CheckSetting<String> TENANT_SETTING = CheckSetting.text("tenantSetting", "app.tenant_id",
            "the custom setting the RLS policies read the tenant from");
    /** The column that marks a tenant table when {@code tables} is empty. */
    public static final CheckSetting<String> TENANT_COLUMN = CheckSetting.text("tenantColumn", "tenant_id",
            "tables with a column of this name are tenant tables (used when 'tables' is empty)");
    /** The tenant tables, comma-separated, as SQL names. */
    public static final CheckSetting<String> TABLES = CheckSetting.text("tables", "",
            "comma-separated tenant tables as SQL names (schema.table, \"Quoted\".\"Name\"); empty: detect by tenantColumn");

    @Override
    public String id() {
        return "rls-posture";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.RLS_LOCKOUT;
    }

    @Override
    public String description() {
        return "Verifies Hard Isolation on the tenant tables: RLS enabled and forced, policies present and treating an"
                + " empty tenant setting as missing, partitions covered, and an application role that cannot bypass RLS.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(TENANT_SETTING, TENANT_COLUMN, TABLES);
    }

    /**
     * Readiness and startup, although every instance sees the same posture: unlike the other database-wide
     * checks, serving is itself the harm here (a role that bypasses the policies shows one tenant's rows to
     * another), so the instances leave the load balancer.
     *
     * @return {@link Probe#READINESS} and {@link Probe#STARTUP}
     */
    @Override
    public Set<Probe> probes() {
        return EnumSet.of(Probe.READINESS, Probe.STARTUP);
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        String setting = context.setting(TENANT_SETTING);
        List<String> named = splitNames(context.setting(TABLES));
        Connection connection = context.connection();
        List<TenantTable> tables = tables(connection, named, context.setting(TENANT_COLUMN));
        if (tables.isEmpty()) {
            return CheckResult.skip(this, "No tenant tables found: no table has a column named '"
                    + context.setting(TENANT_COLUMN) + "'. Name them with rls-posture.tables (doctor --tenant-table)"
                    + " or set rls-posture.tenantColumn (doctor --tenant-column).");
        }
        Map<Long, List<Policy>> policies = policies(connection, tables);

        CheckResult.Builder result = CheckResult.builder(this);
        Set<String> fixes = new LinkedHashSet<>();
        roleFindings(context.facts(), result, fixes);
        int checked = 0;
        for (TenantTable table : tables) {
            if (table.missing() != null) {
                result.atLeast(CheckStatus.WARN).finding(Finding.builder("Tenant table " + table.missing()
                        + " named in rls-posture.tables does not exist (or is not visible on the search_path).")
                        .detail("table", table.missing()).build());
                fixes.add("Correct the table names in rls-posture.tables.");
                continue;
            }
            checked++;
            tableFindings(table, policies.getOrDefault(table.oid(), List.of()), context.facts().currentUser(),
                    setting, result, fixes);
        }
        String user = context.facts().currentUser();
        if (result.status() == CheckStatus.PASS) {
            result.summary(checked + " tenant table(s) are under forced RLS with policies, and role " + user
                    + " cannot bypass them.");
        } else {
            result.summary("Hard Isolation has gaps on " + checked + " tenant table(s) as seen by role " + user
                    + ": " + (result.status() == CheckStatus.FAIL ? "some tenant rows are not protected by RLS"
                    : "policies may hide rows silently or the owner bypasses them") + ".");
        }
        return result.remediation(String.join(" ", fixes)).build();
    }

    private void roleFindings(ServerFacts facts, CheckResult.Builder result, Set<String> fixes) {
        if (facts.superuser()) {
            result.status(CheckStatus.FAIL).finding(Finding.builder("Role " + facts.currentUser()
                    + " is a superuser: RLS never applies to it, every tenant's rows are visible and writable.")
                    .detail("role", facts.currentUser()).detail("superuser", true).build());
            fixes.add("Connect the application as a role without SUPERUSER (keep the superuser for administration).");
        }
        if (facts.bypassRls()) {
            result.status(CheckStatus.FAIL).finding(Finding.builder("Role " + facts.currentUser()
                    + " has BYPASSRLS: RLS never applies to it.")
                    .detail("role", facts.currentUser()).detail("bypassRls", true).build());
            fixes.add("ALTER ROLE " + facts.currentUser() + " NOBYPASSRLS, or connect the application as another role.");
        }
    }

    private void tableFindings(TenantTable t, List<Policy> policies, String user, String setting,
                               CheckResult.Builder result, Set<String> fixes) {
        String what = t.parent() == null ? "Tenant table " + t.name()
                : "Partition " + t.name() + " of " + t.parent();
        String direct = t.parent() == null ? "" : " A partition queried directly does not get its parent's policies.";
        if (!t.rlsEnabled()) {
            result.atLeast(CheckStatus.FAIL).finding(evidence(what + " has row level security disabled: every"
                    + " session sees every tenant's rows." + direct, t, policies));
            fixes.add("ALTER TABLE " + t.name() + " ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;"
                    + " then CREATE POLICY on it.");
        } else if (policies.isEmpty()) {
            result.atLeast(CheckStatus.FAIL).finding(evidence(what + " has RLS enabled but no policy: it denies"
                    + " every row silently, even to the right tenant." + direct, t, policies));
            fixes.add("CREATE POLICY tenant_isolation ON " + t.name()
                    + " USING (... = (SELECT ampora_current_tenant()) ...) WITH CHECK (...).");
        }
        if (t.rlsEnabled() && !t.rlsForced()) {
            if (t.currentUserOwns()) {
                result.atLeast(CheckStatus.FAIL).finding(evidence(what + " is owned by " + t.owner()
                        + ", which role " + user + " is or inherits, without FORCE ROW LEVEL SECURITY: the owner"
                        + " bypasses RLS, so this role sees every tenant.", t, policies));
            } else {
                result.atLeast(CheckStatus.WARN).finding(evidence(what + " lacks FORCE ROW LEVEL SECURITY: its"
                        + " owner " + t.owner() + " bypasses the policies.", t, policies));
            }
            fixes.add("ALTER TABLE " + t.name() + " FORCE ROW LEVEL SECURITY.");
        }
        for (Policy p : policies) {
            List<String> unsafe = new ArrayList<>(PolicyExpressions.unsafeTenantReads(p.using(), setting));
            unsafe.addAll(PolicyExpressions.unsafeTenantReads(p.check(), setting));
            if (!unsafe.isEmpty()) {
                result.atLeast(CheckStatus.WARN).finding(Finding.builder("Policy " + p.name() + " on " + t.name()
                        + " reads " + setting + " with " + unsafe.get(0) + ", which is '' (not NULL) on a pooled"
                        + " connection after any transaction set it: a session without a tenant gets zero rows"
                        + " silently instead of an error.")
                        .detail("table", t.name()).detail("policy", p.name()).detail("command", p.command())
                        .detail("using", p.using()).detail("withCheck", p.check()).build());
                fixes.add("Rewrite policy " + p.name() + " on " + t.name() + " with (SELECT ampora_current_tenant())"
                        + " (TenantHelper.sql()) or NULLIF(current_setting('" + setting + "', true), '').");
            }
        }
    }

    private static Finding evidence(String message, TenantTable t, List<Policy> policies) {
        return Finding.builder(message)
                .detail("table", t.name())
                .detail("partitionOf", t.parent())
                .detail("owner", t.owner())
                .detail("rlsEnabled", t.rlsEnabled())
                .detail("rlsForced", t.rlsForced())
                .detail("policies", policies.size())
                .build();
    }

    private List<TenantTable> tables(Connection connection, List<String> named, String column) throws SQLException {
        List<TenantTable> tables = new ArrayList<>();
        try (PreparedStatement st = connection.prepareStatement(Sql.load(RlsPostureCheck.class, id()))) {
            st.setArray(1, connection.createArrayOf("text", named.toArray()));
            st.setString(2, column);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    tables.add(new TenantTable(rs.getLong("table_oid"), rs.getString("table_name"),
                            rs.getBoolean("rls_enabled"), rs.getBoolean("rls_forced"), rs.getString("owner"),
                            rs.getBoolean("current_user_owns"), rs.getString("parent"), rs.getString("missing")));
                }
            }
        }
        return tables;
    }

    private Map<Long, List<Policy>> policies(Connection connection, List<TenantTable> tables) throws SQLException {
        Map<Long, List<Policy>> byTable = new LinkedHashMap<>();
        Object[] oids = tables.stream().filter(t -> t.missing() == null).map(TenantTable::oid).toArray();
        try (PreparedStatement st = connection.prepareStatement(Sql.load(RlsPostureCheck.class, id() + "-policies"))) {
            st.setArray(1, connection.createArrayOf("bigint", oids));
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    byTable.computeIfAbsent(rs.getLong("table_oid"), k -> new ArrayList<>())
                            .add(new Policy(rs.getString("policy"), rs.getString("command"),
                                    rs.getString("using_expr"), rs.getString("check_expr")));
                }
            }
        }
        return byTable;
    }

    /** Splits {@code a, "My Schema"."x,y"} on commas outside double quotes. */
    static List<String> splitNames(String text) {
        List<String> names = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (char c : text.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ',' && !quoted) {
                add(names, current);
            } else {
                current.append(c);
            }
        }
        add(names, current);
        return names;
    }

    private static void add(List<String> names, StringBuilder current) {
        String name = current.toString().trim();
        if (!name.isEmpty()) {
            names.add(name);
        }
        current.setLength(0);
    }

    private record TenantTable(long oid, String name, boolean rlsEnabled, boolean rlsForced, String owner,
                               boolean currentUserOwns, String parent, String missing) {
    }

    private record Policy(String name, String command, String using, String check) {
    }
}
