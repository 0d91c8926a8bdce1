package io.ampora.dbguard.rls;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.runbook.connections.ConnectivityCheck;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.SQLException;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Issue 19's trap: the README calls both the pool and the tenant wrapper {@code dataSource}, and a new
 * user hands the wrapper to the guard. The guard's checks run without a tenant, so it must run them on
 * the wrapper's delegate instead of failing {@code connectivity} with a hidden MissingTenantException.
 */
@WithPostgres
class GuardGivenTheTenantDataSourceTest {

    @Test
    void guardGivenTheTenantWrapperChecksThroughItsDelegateWithoutATenant(TestDatabase db) throws SQLException {
        RlsSchema.create(db);
        DataSource tenantDataSource = TenantDataSource.wrap(RlsSchema.app(db));

        Report report = DbGuard.builder().dataSource(tenantDataSource)
                .checks(List.of(new ConnectivityCheck(), new TenantContextCheck()))
                .build().report();

        CheckResult connectivity = report.result("connectivity").orElseThrow();
        assertThat(connectivity.status()).as(connectivity.summary()).isEqualTo(CheckStatus.PASS);
        assertThat(connectivity.summary()).contains("as " + RlsSchema.appRole(db));
        CheckResult context = report.result("tenant-context").orElseThrow();
        assertThat(context.status()).as(context.summary()).isEqualTo(CheckStatus.PASS);
        assertThat(context.summary()).contains("has no tenant");
    }

    @Test
    void applicationStatementsThroughTheSameWrapperStillNeedATenant(TestDatabase db) throws SQLException {
        TenantDataSource tenantDataSource = TenantDataSource.wrap(db.dataSource());
        DbGuard.builder().dataSource(tenantDataSource).build();

        try (var connection = tenantDataSource.getConnection()) {
            connection.setAutoCommit(false);
            org.assertj.core.api.Assertions.assertThatThrownBy(
                            () -> connection.createStatement().executeQuery("SELECT 1"))
                    .isInstanceOf(MissingTenantException.class);
        }
    }
}
