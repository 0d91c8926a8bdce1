package io.ampora.dbguard.runbook.connections;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.PgBouncer;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * pgjdbc's server-side prepared statements through PgBouncer in transaction mode (1.18 here: before 1.21 it
 * cannot keep them): the application's statement, named on one server session at its 5th execution, is sent
 * to another one and fails. The check must see the pooler and the driver's settings that cause it, and pass
 * when the settings avoid it.
 */
@WithPostgres
class PoolerPreparedStatementsCheckTest {

    @Test
    void warnsWhenTheApplicationPreparesStatementsThroughPgBouncerInTransactionMode(TestDatabase db) throws Exception {
        PgBouncer.assumeInstalled();
        try (PgBouncer bouncer = PgBouncer.start(db.server().port(), db.name(), db.server().adminUser(), 2)) {
            PGSimpleDataSource application = dataSource(db, bouncer.jdbcUrl(db.name()));

            List<SQLException> failures = statementMovedToAnotherServerSession(application);
            assertThat(failures).as("the application's own statements through PgBouncer")
                    .map(e -> e.getSQLState() + " " + e.getMessage())
                    .containsExactly("26000 ERROR: prepared statement \"S_1\" does not exist",
                            "42P05 ERROR: prepared statement \"S_1\" already exists");

            CheckResult result = Checks.run(application, new PoolerPreparedStatementsCheck());
            assertThat(result.status()).as(result.toString()).isEqualTo(CheckStatus.WARN);
            assertThat(result.summary()).contains("Through a connection pooler", "prepareThreshold=5",
                    "from the 5th execution", "SQLSTATE 42P05", "(26000)");
            assertThat(result.findings()).singleElement().satisfies(f -> {
                assertThat(f.details()).containsEntry("prepareThreshold", 5).containsEntry("preferQueryMode", "extended");
                assertThat(f.details().get("serverPid")).isNotEqualTo(f.details().get("driverPid"));
            });
            assertThat(result.remediation()).contains("prepareThreshold=0",
                    "pooler-prepared-statements.poolerKeepsPreparedStatements=true");

            CheckResult acknowledged = Checks.run(application, new PoolerPreparedStatementsCheck(),
                    "poolerKeepsPreparedStatements", "true");
            assertThat(acknowledged.status()).as(acknowledged.toString()).isEqualTo(CheckStatus.PASS);
        }
    }

    @Test
    void passesThroughPgBouncerWhenTheDriverNeverNamesAStatementOnTheServer(TestDatabase db) throws Exception {
        PgBouncer.assumeInstalled();
        try (PgBouncer bouncer = PgBouncer.start(db.server().port(), db.name(), db.server().adminUser(), 2)) {
            for (String fix : List.of("prepareThreshold=0", "preferQueryMode=simple")) {
                PGSimpleDataSource application = dataSource(db, bouncer.jdbcUrl(db.name()) + "?" + fix);

                assertThat(statementMovedToAnotherServerSession(application)).as(fix + ": the statements work").isEmpty();
                CheckResult result = Checks.run(application, new PoolerPreparedStatementsCheck());
                assertThat(result.status()).as(result.toString()).isEqualTo(CheckStatus.PASS);
                assertThat(result.summary()).contains("Through a connection pooler", "server-side prepared statements off");
            }
        }
    }

    @Test
    void passesOnADirectConnectionAndInTheDoctorsReport(TestDatabase db) {
        CheckResult direct = Checks.run(db.dataSource(), new PoolerPreparedStatementsCheck());
        assertThat(direct.status()).as(direct.toString()).isEqualTo(CheckStatus.PASS);
        assertThat(direct.summary()).contains("Connected to the server directly", "prepareThreshold=5");

        CheckResult inReport = DbGuard.builder().jdbcUrl(db.jdbcUrl()).user(db.server().adminUser())
                .password(db.server().adminPassword()).build().report().result("pooler-prepared-statements").orElseThrow();
        assertThat(inReport.status()).as(inReport.toString()).isEqualTo(CheckStatus.PASS);
    }

    private static PGSimpleDataSource dataSource(TestDatabase db, String url) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(url);
        ds.setUser(db.server().adminUser());
        ds.setPassword(db.server().adminPassword());
        return ds;
    }

    /**
     * Runs one prepared statement five times (pgjdbc names it "S_1" on the server at the 5th), lets a second
     * client take that server session in a transaction, runs the statement again in a transaction (PgBouncer
     * gives it the other server session, where the name is missing; in autocommit pgjdbc would prepare it again
     * and hide that), and ends the second client's transaction: pgjdbc names its ROLLBACK "S_1" too, which
     * the first client's statement already is on that server session.
     *
     * @return the errors the application met, empty when every statement ran
     */
    private static List<SQLException> statementMovedToAnotherServerSession(PGSimpleDataSource application)
            throws SQLException {
        List<SQLException> failures = new ArrayList<>();
        try (Connection a = application.getConnection(); Connection b = application.getConnection();
             PreparedStatement ps = a.prepareStatement("SELECT pg_catalog.pg_backend_pid()")) {
            int named = 0;
            for (int i = 0; i < 5; i++) {
                named = pid(ps);
            }
            b.setAutoCommit(false);
            try (Statement st = b.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_backend_pid()")) {
                rs.next();
                assertThat(rs.getInt(1)).as("the second client holds the server session the statement was named on")
                        .isEqualTo(named);
            }
            a.setAutoCommit(false);
            try {
                assertThat(pid(ps)).as("the sixth execution ran on another server session").isNotEqualTo(named);
            } catch (SQLException e) {
                failures.add(e);
            }
            a.rollback();
            try {
                b.rollback();
            } catch (SQLException e) {
                failures.add(e);
            }
        }
        return failures;
    }

    private static int pid(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
