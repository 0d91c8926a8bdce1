package io.ampora.dbguard.runbook.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.DbGuardVerificationException;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runbook section 1, reproduced for real: each failure the runbook lists, and the diagnosis it gets. */
@WithPostgres(settings = {"max_connections=12", "max_wal_senders=2"}, passwordAuth = true)
class CannotConnectScenariosTest {

    private static final String SECRET = "Sup3r-Secret-Pw!";

    @Test
    void reportsConnectionRefusedWhenNothingListensOnThePort() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        DbGuard guard = DbGuard.builder().jdbcUrl("jdbc:postgresql://localhost:" + port + "/orders")
                .user("app").password(SECRET).build();

        Report report = guard.report();

        Finding finding = connectivityFailure(report, ConnectionFailure.CONNECTION_REFUSED);
        assertThat(finding.details().get("driverMessage").toString()).contains("refused");
        assertThat(finding.details().get("port")).isEqualTo(port);
        assertThat(report.result("connection-headroom").orElseThrow().summary()).contains("cannot connect");
        assertThatThrownBy(guard::verifyOrFail).isInstanceOf(DbGuardVerificationException.class)
                .hasMessageContaining("nothing is listening")
                .hasMessageContaining("connectivity [FAIL");
        assertNoSecret(guard, report);
    }

    @Test
    void reportsWrongPasswordOnServerThatRequiresOneWithoutShowingIt(TestDatabase db) throws Exception {
        db.createRole("cc_alice", "the-right-one", "");
        DbGuard guard = DbGuard.builder().jdbcUrl(db.jdbcUrl() + "?ApplicationName=orders&password=" + SECRET)
                .user("cc_alice").build();

        Report report = guard.report();

        Finding finding = connectivityFailure(report, ConnectionFailure.PASSWORD_AUTHENTICATION_FAILED);
        assertThat(finding.details()).containsEntry("sqlState", "28P01").containsEntry("user", "cc_alice");
        assertThat(finding.details().get("driverMessage").toString()).contains("password authentication failed");
        assertThat(report.result("connectivity").orElseThrow().remediation()).contains("password")
                .contains("SELECT rolvaliduntil FROM pg_roles WHERE rolname = 'cc_alice'",
                        "ALTER ROLE cc_alice VALID UNTIL 'infinity'");
        assertNoSecret(guard, report);
    }

    @Test
    void namesTheRolesConnectionLimitNotMaxConnectionsWhenTheRoleIsAtIt(TestDatabase db) throws Exception {
        db.createRole("cc_limited", SECRET, "CONNECTION LIMIT 2");
        try (Connection first = db.dataSource("cc_limited", SECRET).getConnection();
             Connection second = db.dataSource("cc_limited", SECRET).getConnection()) {
            SQLException refused = catchThrowableOfType(SQLException.class,
                    () -> db.dataSource("cc_limited", SECRET).getConnection().close());
            assertThat(refused.getSQLState()).isEqualTo("53300");
            assertThat(refused.getMessage()).contains("too many connections for role");

            Report report = DbGuard.builder().dataSource(db.dataSource("cc_limited", SECRET)).build().report();

            Finding finding = connectivityFailure(report, ConnectionFailure.ROLE_CONNECTION_LIMIT);
            assertThat(finding.details()).containsEntry("sqlState", "53300");
            assertThat(report.result("connectivity").orElseThrow().summary())
                    .contains("the role's own CONNECTION LIMIT is reached");
            assertThat(report.result("connectivity").orElseThrow().remediation())
                    .startsWith("Raising max_connections does not help.")
                    .contains("WHERE rolname = 'cc_limited'", "WHERE usename = 'cc_limited'",
                            "ALTER ROLE cc_limited CONNECTION LIMIT <n>");
        }
    }

    @Test
    void headroomWarnsWhenTheRoleNearsItsOwnConnectionLimitWhileTheServerHasRoom(TestDatabase db) throws Exception {
        db.createRole("cc_near", SECRET, "CONNECTION LIMIT 5");
        List<Connection> batch = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                batch.add(db.dataSource("cc_near", SECRET).getConnection());
            }

            CheckResult headroom = DbGuard.builder().dataSource(db.dataSource("cc_near", SECRET)).maxConcurrency(1)
                    .build().report().result("connection-headroom").orElseThrow();

            assertThat(headroom.status()).isIn(CheckStatus.WARN, CheckStatus.FAIL);
            assertThat(headroom.summary()).as("the server's slots are not the problem").contains("usable connection slots");
            assertThat(headroom.findings()).anySatisfy(f -> {
                assertThat(f.details()).containsEntry("limitOf", "role").containsEntry("role", "cc_near")
                        .containsEntry("connectionLimit", 5);
                assertThat((Long) f.details().get("sessions")).isBetween(4L, 5L); // the three held and the guard's
                assertThat(f.message()).startsWith("The role cc_near has ").contains("of its CONNECTION LIMIT 5",
                        "new connections fail with \"too many connections for role\" (53300)");
            });
            assertThat(headroom.remediation()).contains("WHERE usename = 'cc_near'",
                    "ALTER ROLE cc_near CONNECTION LIMIT <n>;");
        } finally {
            for (Connection c : batch) {
                c.close();
            }
        }
    }

    @Test
    void namesTheDatabasesConnectionLimitWhenTheDatabaseIsAtIt(TestDatabase db) throws Exception {
        db.createRole("cc_dave", SECRET, "");
        db.server().adminExecute("ALTER DATABASE " + db.name() + " CONNECTION LIMIT 2");
        try (Connection first = db.dataSource("cc_dave", SECRET).getConnection();
             Connection second = db.dataSource("cc_dave", SECRET).getConnection()) {
            Report report = DbGuard.builder().dataSource(db.dataSource("cc_dave", SECRET)).build().report();

            Finding finding = connectivityFailure(report, ConnectionFailure.DATABASE_CONNECTION_LIMIT);
            assertThat(finding.details().get("driverMessage").toString()).contains("too many connections for database");
            assertThat(report.result("connectivity").orElseThrow().remediation())
                    .contains("WHERE datname = '" + db.name() + "'", "ALTER DATABASE " + db.name() + " CONNECTION LIMIT");
        } finally {
            db.server().adminExecute("ALTER DATABASE " + db.name() + " CONNECTION LIMIT -1");
        }
    }

    @Test
    void quotesTheNamedRoleInTheFixAsPostgresWouldNeedIt() {
        ConnectionDiagnosis d = new ConnectionDiagnosis(ConnectionFailure.ROLE_CONNECTION_LIMIT,
                "FATAL: too many connections for role \"Orders App\"", "53300");

        assertThat(ConnectionFailureClassifier.remediation(d, "ignored", null))
                .contains("WHERE rolname = 'Orders App'", "ALTER ROLE \"Orders App\" CONNECTION LIMIT");
    }

    @Test
    void reportsMissingDatabase(TestDatabase db) {
        DbGuard guard = DbGuard.builder().dataSource(db.server().dataSource("no_such_db", "postgres", "")).build();

        Finding finding = connectivityFailure(guard.report(), ConnectionFailure.DATABASE_DOES_NOT_EXIST);

        assertThat(finding.details()).containsEntry("sqlState", "3D000").containsEntry("database", "no_such_db");
    }

    @Test
    void reportsTooManyClientsWhenEverySlotIsTaken(TestDatabase db) throws Exception {
        db.createRole("cc_bob", SECRET, "");
        List<Connection> hogs = new ArrayList<>();
        try {
            while (hogs.size() < 20) {
                hogs.add(db.dataSource("cc_bob", SECRET).getConnection());
            }
        } catch (SQLException expected) {
            assertThat(expected.getSQLState()).isEqualTo("53300");
        }
        try {
            DbGuard guard = DbGuard.builder().dataSource(db.dataSource("cc_bob", SECRET)).build();

            Report report = guard.report();

            Finding finding = connectivityFailure(report, ConnectionFailure.TOO_MANY_CLIENTS);
            assertThat(finding.details()).containsEntry("sqlState", "53300");
            assertThat(report.result("connectivity").orElseThrow().remediation()).contains("max_connections");
            assertNoSecret(guard, report);
        } finally {
            for (Connection c : hogs) {
                c.close();
            }
        }
    }

    @Test
    void headroomWarnsAndNamesTheApplicationHoldingTheSlots(TestDatabase db) throws Exception {
        List<Connection> batch = new ArrayList<>();
        try {
            for (int i = 0; i < 7; i++) {
                Connection c = db.dataSource().getConnection();
                c.setClientInfo("ApplicationName", "batch-job");
                batch.add(c);
            }
            // 12 max_connections - 3 superuser_reserved = 9 usable; 7 + the guard's own session = 8 (89 %).
            Report report = DbGuard.builder().dataSource(db.dataSource()).maxConcurrency(1).build().report();

            CheckResult headroom = report.result("connection-headroom").orElseThrow();
            assertThat(headroom.status()).isEqualTo(CheckStatus.WARN);
            assertThat(headroom.summary()).startsWith("8 of 9 usable connection slots in use (89%)");
            assertThat(headroom.findings().get(0).message()).startsWith("7 sessions of batch-job as postgres: 7 idle");
            assertThat(headroom.remediation()).contains("pool");
        } finally {
            for (Connection c : batch) {
                c.close();
            }
        }
    }

    @Test
    void headroomSaysWhatItCannotSeeWithoutPgReadAllStats(TestDatabase db) throws Exception {
        db.createRole("cc_carol", SECRET, "");
        try (Connection other = db.dataSource().getConnection()) {
            other.setClientInfo("ApplicationName", "someone-else");
            Report report = DbGuard.builder().dataSource(db.dataSource("cc_carol", SECRET)).build().report();

            CheckResult headroom = report.result("connection-headroom").orElseThrow();
            assertThat(headroom.findings()).anySatisfy(f -> {
                assertThat(f.message()).contains("hidden from cc_carol");
                assertThat(f.details().get("grant")).isEqualTo("GRANT pg_read_all_stats TO cc_carol");
            });
        }
    }

    @Test
    void tlsWarnsWhenSslModeDoesNotValidateTheCertificateAndFailsInProduction(TestDatabase db) {
        String url = db.jdbcUrl() + "?sslmode=prefer";

        CheckResult dev = DbGuard.builder().jdbcUrl(url).user("postgres").build().report().result("tls").orElseThrow();
        CheckResult prod = DbGuard.builder().jdbcUrl(url).user("postgres").production(true).build().report()
                .result("tls").orElseThrow();

        assertThat(dev.status()).isEqualTo(CheckStatus.WARN);
        assertThat(dev.summary()).contains("sslmode=prefer does not validate").contains("Trust Server Certificate");
        assertThat(dev.remediation()).contains("verify-full");
        assertThat(dev.findings().get(0).details()).containsEntry("sessionUsesTls", false);
        assertThat(prod.status()).isEqualTo(CheckStatus.FAIL);
    }

    @Test
    void tlsFlagsNonValidatingSslFactory(TestDatabase db) {
        CheckResult tls = DbGuard.builder().jdbcUrl(db.jdbcUrl() + "?sslfactory=org.postgresql.ssl.NonValidatingFactory")
                .user("postgres").build().report().result("tls").orElseThrow();

        assertThat(tls.status()).isEqualTo(CheckStatus.WARN);
        assertThat(tls.summary()).contains("NonValidatingFactory accepts any server certificate");
    }

    @Test
    void requiringTlsFromAServerWithoutItIsDiagnosedAsTlsFailure(TestDatabase db) {
        DbGuard guard = DbGuard.builder().jdbcUrl(db.jdbcUrl() + "?sslmode=require").user("postgres").build();

        Finding finding = connectivityFailure(guard.report(), ConnectionFailure.TLS_FAILURE);

        assertThat(finding.details().get("driverMessage").toString()).containsIgnoringCase("SSL");
    }

    private static Finding connectivityFailure(Report report, ConnectionFailure cause) {
        CheckResult connectivity = report.result("connectivity").orElseThrow();
        assertThat(connectivity.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(connectivity.findings()).hasSize(1);
        Finding finding = connectivity.findings().get(0);
        assertThat(finding.details()).containsEntry("cause", cause.name());
        // the cause's fix, with the role or database it names filled in
        assertThat(connectivity.remediation()).isEqualTo(ConnectionFailureClassifier.remediation(
                new ConnectionDiagnosis(cause, (String) finding.details().get("driverMessage"),
                        (String) finding.details().get("sqlState")),
                (String) finding.details().get("user"), (String) finding.details().get("database")));
        assertThat(connectivity.remediation()).doesNotContain("<role>", "<database>");
        assertThat(report.status()).isEqualTo(CheckStatus.FAIL);
        return finding;
    }

    private static void assertNoSecret(DbGuard guard, Report report) {
        assertThat(report.toText()).doesNotContain(SECRET);
        assertThat(report.toJson()).doesNotContain(SECRET);
        try {
            guard.verifyOrFail();
        } catch (DbGuardVerificationException e) {
            assertThat(e.getMessage()).doesNotContain(SECRET);
        }
    }
}
