package io.ampora.dbguard.rls;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.SQLException;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@WithPostgres
class TenantContextCheckTest {

    private static CheckResult context(DataSource dataSource, String setting) {
        return DbGuard.builder().dataSource(dataSource).checks(List.of(new TenantContextCheck()))
                .set("tenant-context.tenantSetting", setting).build().report().result("tenant-context").orElseThrow();
    }

    @Test
    void showsThatAnOutOfBandSessionHasNoTenantAndWhyRowsAreMissing(TestDatabase db) throws SQLException {
        RlsSchema.create(db);

        CheckResult result = context(RlsSchema.app(db), "app.tenant_id");

        assertThat(result.status()).isEqualTo(CheckStatus.PASS);
        assertThat(result.summary()).contains("has no tenant").contains("app.tenant_id is NULL")
                .contains("RLS hides every tenant row");
        assertThat(result.findings()).singleElement().satisfies(f -> assertThat(f.details())
                .containsEntry("currentUser", RlsSchema.appRole(db))
                .containsEntry("role", "none")
                .containsEntry("tenant", null)
                .containsEntry("bypassRls", false));
    }

    @Test
    void warnsWhenARoleDefaultBindsEverySessionToOneTenant(TestDatabase db) throws SQLException {
        String role = db.name() + "_pinned";
        db.createRole(role, "pw", "");
        db.execute("ALTER ROLE " + role + " SET acme.tenant = '33333333-3333-3333-3333-333333333333'");

        CheckResult result = context(db.dataSource(role, "pw"), "acme.tenant");

        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        assertThat(result.summary()).contains("acme.tenant = '33333333-3333-3333-3333-333333333333' already set");
        assertThat(result.remediation()).contains("ALTER ROLE " + role + " RESET acme.tenant");
    }

    @Test
    void warnsWhenTheSessionRoleBypassesRls(TestDatabase db) {
        CheckResult result = context(db.dataSource(), "app.tenant_id");

        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        assertThat(result.summary()).contains("is a superuser").contains("sees every tenant's rows");
    }
}
