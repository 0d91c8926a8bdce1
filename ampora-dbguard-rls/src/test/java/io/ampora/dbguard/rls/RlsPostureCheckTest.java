package io.ampora.dbguard.rls;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.SQLException;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each posture gap built for real in its own schema, checked as the application's role (neither owner,
 * superuser nor BYPASSRLS) unless the scenario is about the role.
 */
@WithPostgres
class RlsPostureCheckTest {

    private static final String POLICY = " USING (tenant_id = (SELECT ampora_current_tenant())::uuid)";

    @BeforeAll
    static void schema(TestDatabase db) throws SQLException {
        RlsSchema.create(db);
        String app = RlsSchema.appRole(db);
        db.execute(String.join("\n",
                "CREATE SCHEMA \"My Schema\";",
                "CREATE TABLE \"My Schema\".\"Order \"\"Items\"\"\" (tenant_id uuid NOT NULL, sku text);",
                "ALTER TABLE \"My Schema\".\"Order \"\"Items\"\"\" ENABLE ROW LEVEL SECURITY;",
                "ALTER TABLE \"My Schema\".\"Order \"\"Items\"\"\" FORCE ROW LEVEL SECURITY;",
                "CREATE POLICY tenant_isolation ON \"My Schema\".\"Order \"\"Items\"\"\" %POLICY%;",
                "CREATE TABLE events (tenant_id uuid NOT NULL, kind text NOT NULL) PARTITION BY LIST (kind);",
                "CREATE TABLE events_login PARTITION OF events FOR VALUES IN ('login');",
                "ALTER TABLE events ENABLE ROW LEVEL SECURITY;",
                "ALTER TABLE events FORCE ROW LEVEL SECURITY;",
                "CREATE POLICY tenant_isolation ON events %POLICY%;",
                "ALTER TABLE events_login ENABLE ROW LEVEL SECURITY;",
                "ALTER TABLE events_login FORCE ROW LEVEL SECURITY;",
                "CREATE POLICY tenant_isolation ON events_login %POLICY%;",
                "CREATE SCHEMA gaps;",
                "CREATE TABLE gaps.rls_off (tenant_id uuid NOT NULL);",
                "CREATE TABLE gaps.no_policy (tenant_id uuid NOT NULL);",
                "ALTER TABLE gaps.no_policy ENABLE ROW LEVEL SECURITY;",
                "ALTER TABLE gaps.no_policy FORCE ROW LEVEL SECURITY;",
                "CREATE TABLE gaps.owned_by_app (tenant_id uuid NOT NULL);",
                "ALTER TABLE gaps.owned_by_app ENABLE ROW LEVEL SECURITY;",
                "CREATE POLICY tenant_isolation ON gaps.owned_by_app %POLICY%;",
                "CREATE TABLE gaps.audit (tenant_id uuid NOT NULL, kind text NOT NULL) PARTITION BY LIST (kind);",
                "ALTER TABLE gaps.audit ENABLE ROW LEVEL SECURITY;",
                "ALTER TABLE gaps.audit FORCE ROW LEVEL SECURITY;",
                "CREATE POLICY tenant_isolation ON gaps.audit %POLICY%;",
                "CREATE TABLE gaps.audit_2026 PARTITION OF gaps.audit FOR VALUES IN ('2026');",
                "CREATE TABLE gaps.by_org (org_key text NOT NULL);",
                "ALTER TABLE gaps.by_org ENABLE ROW LEVEL SECURITY;",
                "ALTER TABLE gaps.by_org FORCE ROW LEVEL SECURITY;",
                "CREATE POLICY safe_nullif ON gaps.by_org USING (org_key = NULLIF(current_setting('app.tenant_id', true), ''));").replace("%POLICY%", POLICY));
        db.execute("ALTER TABLE gaps.owned_by_app OWNER TO " + app);
        db.execute("GRANT USAGE ON SCHEMA \"My Schema\", gaps TO " + app);
    }

    private static CheckResult posture(DataSource dataSource, String tables) {
        return DbGuard.builder().dataSource(dataSource).checks(List.<DatabaseCheck>of(new RlsPostureCheck()))
                .set("rls-posture.tables", tables).build().report().result("rls-posture").orElseThrow();
    }

    @Test
    void passesOnForcedRlsWithPoliciesPartitionsAndAnOrdinaryRole(TestDatabase db) {
        CheckResult result = posture(RlsSchema.app(db), "items, \"My Schema\".\"Order \"\"Items\"\"\", events");

        assertThat(result.status()).as(result.toString()).isEqualTo(CheckStatus.PASS);
        assertThat(result.summary()).contains("4 tenant table(s)").contains(RlsSchema.appRole(db));
        assertThat(result.findings()).isEmpty();
    }

    @Test
    void failsWhenRlsIsDisabledOnATenantTable(TestDatabase db) {
        CheckResult result = posture(RlsSchema.app(db), "items, gaps.rls_off");

        assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
        Finding finding = single(result);
        assertThat(finding.message()).contains("Tenant table gaps.rls_off has row level security disabled");
        assertThat(finding.details()).containsEntry("table", "gaps.rls_off").containsEntry("rlsEnabled", false);
        assertThat(result.remediation()).contains("ALTER TABLE gaps.rls_off ENABLE ROW LEVEL SECURITY");
    }

    @Test
    void failsWhenATenantTableHasNoPolicy(TestDatabase db) {
        CheckResult result = posture(RlsSchema.app(db), "gaps.no_policy");

        assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(single(result).message()).contains("gaps.no_policy has RLS enabled but no policy");
        assertThat(single(result).details()).containsEntry("policies", 0);
    }

    @Test
    void failsWhenTheApplicationRoleOwnsATableWithoutForce(TestDatabase db) {
        CheckResult result = posture(RlsSchema.app(db), "gaps.owned_by_app");

        assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
        Finding finding = single(result);
        assertThat(finding.message()).contains("owned by " + RlsSchema.appRole(db))
                .contains("without FORCE ROW LEVEL SECURITY");
        assertThat(finding.details()).containsEntry("owner", RlsSchema.appRole(db)).containsEntry("rlsForced", false);
        assertThat(result.remediation()).contains("ALTER TABLE gaps.owned_by_app FORCE ROW LEVEL SECURITY");
    }

    @Test
    void warnsWhenAnotherOwnerBypassesWithoutForce(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE gaps.not_forced (tenant_id uuid NOT NULL);"
                + " ALTER TABLE gaps.not_forced ENABLE ROW LEVEL SECURITY;"
                + " CREATE POLICY p ON gaps.not_forced" + POLICY);

        CheckResult result = posture(RlsSchema.app(db), "gaps.not_forced");

        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        assertThat(single(result).message()).contains("lacks FORCE ROW LEVEL SECURITY: its owner");
    }

    @Test
    void failsForAPartitionThatIsQueriedDirectlyWithoutPolicy(TestDatabase db) {
        CheckResult result = posture(RlsSchema.app(db), "gaps.audit");

        assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
        Finding finding = single(result);
        assertThat(finding.message()).contains("Partition gaps.audit_2026 of gaps.audit")
                .contains("does not get its parent's policies");
        assertThat(finding.details()).containsEntry("partitionOf", "gaps.audit");
    }

    @Test
    void failsForARoleWithBypassRls(TestDatabase db) throws SQLException {
        String role = db.name() + "_bypass";
        db.createRole(role, "pw", "BYPASSRLS");

        CheckResult result = posture(db.dataSource(role, "pw"), "items");

        assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(single(result).message()).contains("Role " + role + " has BYPASSRLS");
        assertThat(single(result).details()).containsEntry("bypassRls", true);
    }

    @Test
    void failsForASuperuser(TestDatabase db) {
        CheckResult result = posture(db.dataSource(), "items");

        assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(result.findings()).anySatisfy(f -> assertThat(f.message()).contains("is a superuser"));
    }

    @Test
    void detectsTenantTablesByColumnAndAcceptsNullifPolicies(TestDatabase db) {
        CheckResult result = DbGuard.builder().dataSource(RlsSchema.app(db)).checks(List.of(new RlsPostureCheck()))
                .set("rls-posture.tenantColumn", "org_key").build().report().result("rls-posture").orElseThrow();

        assertThat(result.status()).as(result.toString()).isEqualTo(CheckStatus.PASS);
        assertThat(result.summary()).contains("1 tenant table(s)");
    }

    @Test
    void detectsByDefaultColumnAndReportsEveryGap(TestDatabase db) {
        CheckResult result = DbGuard.builder().dataSource(RlsSchema.app(db)).checks(List.of(new RlsPostureCheck()))
                .build().report().result("rls-posture").orElseThrow();

        assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(result.findings()).extracting(f -> f.details().get("table"))
                .contains("gaps.rls_off", "gaps.no_policy", "gaps.owned_by_app", "gaps.audit_2026")
                .doesNotContain("public.items", "events_login");
    }

    @Test
    void skipsWhenNoTenantTableExistsAndWarnsOnMissingNames(TestDatabase db) {
        CheckResult none = DbGuard.builder().dataSource(RlsSchema.app(db)).checks(List.of(new RlsPostureCheck()))
                .set("rls-posture.tenantColumn", "no_such_column").build().report().result("rls-posture").orElseThrow();
        assertThat(none.status()).isEqualTo(CheckStatus.SKIP);
        assertThat(none.summary()).contains("--tenant-table");

        CheckResult missing = posture(RlsSchema.app(db), "items, public.nope");
        assertThat(missing.status()).isEqualTo(CheckStatus.WARN);
        assertThat(single(missing).message()).contains("public.nope").contains("does not exist");
    }

    @Test
    void isRegisteredThroughServiceLoader() {
        assertThat(DbGuard.discoverChecks()).extracting(DatabaseCheck::id).contains("rls-posture", "tenant-context");
    }

    private static Finding single(CheckResult result) {
        assertThat(result.findings()).as(result.toString()).hasSize(1);
        return result.findings().get(0);
    }
}
