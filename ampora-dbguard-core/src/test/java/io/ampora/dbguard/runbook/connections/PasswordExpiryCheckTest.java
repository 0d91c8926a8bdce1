package io.ampora.dbguard.runbook.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.NonResettingPool;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runbook 1, "password authentication failed" with the right password: the application role's {@code VALID
 * UNTIL} passed. Reproduced for real on a server that asks non-superusers for a password: the open sessions keep
 * working, every new one fails with 28P01, and the check names the expiry, ahead of time and once passed.
 */
class PasswordExpiryCheckTest {

    private static final String SECRET = "Expiring-Pw-42";

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void warnsTwoWeeksAheadWithTheDateAndTheAlterRole(String version) throws Exception {
        try (TestDatabase db = database(version, true)) {
            db.createRole("pe_orders", SECRET, "VALID UNTIL '" + db.queryString(
                    "SELECT to_char(now() + interval '3 days', 'YYYY-MM-DD HH24:MI:SSOF')") + "'");

            CheckResult result = run(db.dataSource("pe_orders", SECRET));

            assertThat(result.status()).isEqualTo(CheckStatus.WARN);
            assertThat(result.summary()).startsWith("The password of role pe_orders expires at ").contains("(in 2d23h)");
            assertThat(result.findings()).singleElement().satisfies(f -> {
                assertThat(f.details()).containsEntry("role", "pe_orders").containsEntry("expired", false)
                        .containsEntry("timeLeft", "2d23h");
                assertThat((String) f.details().get("validUntil")).endsWith("Z");
                if (db.server().majorVersion() >= 16) {
                    assertThat((String) f.details().get("authentication")).matches("(md5|scram-sha-256):pe_orders");
                }
            });
            assertThat(result.remediation()).contains("ALTER ROLE pe_orders VALID UNTIL 'infinity';");
        }
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void anExpiredPasswordFailsNewConnectionsWhileOpenOnesWorkAndTheCheckNamesTheExpiry(String version) throws Exception {
        try (TestDatabase db = database(version, true)) {
            db.createRole("pe_billing", SECRET, "VALID UNTIL '" + db.queryString(
                    "SELECT to_char(now() + interval '3 seconds', 'YYYY-MM-DD HH24:MI:SS.USOF')") + "'");
            // the application's pool opened its connections while the password was valid
            NonResettingPool pool = NonResettingPool.of(db.dataSource("pe_billing", SECRET));
            List<Connection> opened = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                opened.add(pool.getConnection());
            }
            for (Connection c : opened) {
                c.close();
            }

            SQLException refused = Await.value("the password to expire", Duration.ofSeconds(15),
                    () -> attempt(db.dataSource("pe_billing", SECRET)), e -> e != null);
            assertThat(refused.getSQLState()).isEqualTo("28P01");
            assertThat(refused.getMessage()).contains("password authentication failed for user \"pe_billing\"");

            Report throughThePool = DbGuard.builder().dataSource(pool).maxConcurrency(1).build().report();
            assertThat(throughThePool.result("connectivity").orElseThrow().status()).isEqualTo(CheckStatus.PASS);
            CheckResult expiry = throughThePool.result("password-expiry").orElseThrow();
            assertThat(expiry.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(expiry.summary()).startsWith("The password of role pe_billing expired at ").endsWith(" ago).");
            assertThat(expiry.findings().get(0).message()).contains("every new connection as pe_billing fails with"
                    + " \"password authentication failed\" (28P01) although the password is right");
            assertThat(expiry.findings().get(0).details()).containsEntry("expired", true);

            Report fresh = DbGuard.builder().dataSource(db.dataSource("pe_billing", SECRET)).build().report();
            CheckResult connectivity = fresh.result("connectivity").orElseThrow();
            assertThat(connectivity.findings().get(0).details())
                    .containsEntry("cause", ConnectionFailure.PASSWORD_AUTHENTICATION_FAILED.name());
            assertThat(connectivity.remediation()).contains("VALID UNTIL",
                    "SELECT rolvaliduntil FROM pg_roles WHERE rolname = 'pe_billing'");
        }
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void passesWithoutAnExpiryAndOnSixteenPlusForALoginThatUsedNoPassword(String version) throws Exception {
        try (TestDatabase db = database(version, false)) {
            db.createRole("pe_never", SECRET, "");
            db.createRole("pe_trusted", SECRET, "VALID UNTIL '2001-01-01'");

            assertThat(run(db.dataSource("pe_never", SECRET)).summary())
                    .isEqualTo("The password of role pe_never never expires (no VALID UNTIL).");
            CheckResult trusted = run(db.dataSource("pe_trusted", SECRET));
            if (db.server().majorVersion() >= 16) {
                assertThat(trusted.status()).isEqualTo(CheckStatus.PASS);
                assertThat(trusted.summary()).contains("expires at 2001-01-01", "this session did not log in with a"
                        + " password (trust), which VALID UNTIL does not bind");
            } else {
                // before 16 the session cannot tell how it authenticated: the expiry is reported as it stands
                assertThat(trusted.status()).isEqualTo(CheckStatus.FAIL);
            }
        }
    }

    private static TestDatabase database(String version, boolean passwordAuth) throws SQLException {
        return TestDatabase.create(PostgresServers.get(new ServerSpec(version, Map.of(), passwordAuth)),
                PasswordExpiryCheckTest.class);
    }

    private static CheckResult run(DataSource dataSource) {
        return DbGuard.builder().dataSource(dataSource).checks(List.of(new PasswordExpiryCheck())).build().report()
                .result("password-expiry").orElseThrow();
    }

    private static SQLException attempt(DataSource dataSource) {
        return catchThrowableOfType(SQLException.class, () -> dataSource.getConnection().close());
    }
}
