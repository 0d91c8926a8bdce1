package io.ampora.dbguard.examples.usertests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.DbGuardVerificationException;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import org.junit.jupiter.api.Test;

/**
 * What a team copies into its own service: the startup guard, run in a unit test against the same kind of
 * database the service uses, so a misconfiguration fails the build instead of the deployment.
 */
@WithPostgres
class StartupGuardExampleTest {

    @Test
    void serviceDatabasePassesTheStartupGuard(TestDatabase db) {
        DbGuard guard = DbGuard.builder()
                .dataSource(db.dataSource())
                .applicationName("orders-service")
                .build();

        Report report = guard.verifyOrFail();

        assertThat(report.status()).isIn(CheckStatus.PASS, CheckStatus.WARN);
    }

    @Test
    void startupGuardStopsTheServiceWithTheCauseAndTheFix(TestDatabase db) {
        DbGuard guard = DbGuard.builder()
                .jdbcUrl(db.server().jdbcUrl("orders_db_that_was_never_created"))
                .user("postgres")
                .build();

        assertThatThrownBy(guard::verifyOrFail)
                .isInstanceOf(DbGuardVerificationException.class)
                .hasMessageContaining("the database named in the connection string does not exist")
                .hasMessageContaining("fix: Check the database name");
    }
}
