package io.ampora.dbguard.runbook.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The database accepts connections and reads, and every write fails with 25006: {@code default_transaction_read_only}
 * was set for the database or the application's role (a maintenance switch left on, or a hosting provider's
 * reaction to an exceeded storage quota). Reproduced for real; {@code connectivity} said PASS before.
 */
class ReadOnlyByDefaultTest {

    private static final String SECRET = "Ro-Pw-77";

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void aDatabaseSetReadOnlyFailsConnectivityNamingTheSettingItsSourceAndTheReset(String version) throws Exception {
        try (TestDatabase db = TestDatabase.create(PostgresServers.get(new ServerSpec(version, Map.of(), false)),
                ReadOnlyByDefaultTest.class)) {
            db.execute("CREATE TABLE orders (id int)");
            db.createRole("ro_app", SECRET, "");
            db.execute("GRANT INSERT, SELECT ON orders TO ro_app");
            DataSource app = db.dataSource("ro_app", SECRET);
            assertThat(connectivity(app).status()).isEqualTo(CheckStatus.PASS);

            db.execute("ALTER DATABASE " + db.name() + " SET default_transaction_read_only = on");

            assertThat(insertFails(app)).as("the application's insert").isEqualTo("25006");
            CheckResult read = connectivity(app);
            assertThat(read.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(read.summary()).contains("but new sessions are read-only (default_transaction_read_only = on,"
                    + " set for the database (ALTER DATABASE ... SET)): every write fails with 25006.");
            assertThat(read.findings()).singleElement().satisfies(f ->
                    assertThat(f.details()).containsEntry("source", "database"));
            String fix = read.remediation();
            assertThat(fix).contains("BEGIN READ WRITE; ALTER DATABASE " + db.name()
                    + " RESET default_transaction_read_only; COMMIT;");
            assertThat(DbGuard.builder().dataSource(app).set("connectivity.expectPrimary", "false").build().report()
                    .result("connectivity").orElseThrow().status()).as("a service meant to only read").isEqualTo(CheckStatus.PASS);

            // the fix, run as given (the database's owner, postgres here), in a new session
            try (Connection admin = db.dataSource().getConnection(); Statement st = admin.createStatement()) {
                st.execute(fix.substring(fix.indexOf("BEGIN READ WRITE"), fix.indexOf(" Hosting providers")));
            }
            assertThat(insertFails(app)).isNull();
            assertThat(connectivity(app).status()).isEqualTo(CheckStatus.PASS);
        }
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void aRoleSetReadOnlyIsNamedWithItsOwnReset(String version) throws Exception {
        try (TestDatabase db = TestDatabase.create(PostgresServers.get(new ServerSpec(version, Map.of(), false)),
                ReadOnlyByDefaultTest.class)) {
            db.createRole("ro_role", SECRET, "");
            db.execute("ALTER ROLE ro_role SET default_transaction_read_only = on");
            try {
                CheckResult read = connectivity(db.dataSource("ro_role", SECRET));

                assertThat(read.status()).isEqualTo(CheckStatus.FAIL);
                assertThat(read.findings().get(0).details()).containsEntry("source", "user");
                assertThat(read.remediation()).contains("BEGIN READ WRITE; ALTER ROLE ro_role RESET default_transaction_read_only;"
                        + " COMMIT;");
                assertThat(connectivity(db.dataSource()).status()).as("another role, same database").isEqualTo(CheckStatus.PASS);
            } finally {
                db.execute("ALTER ROLE ro_role RESET default_transaction_read_only");
            }
        }
    }

    private static CheckResult connectivity(DataSource dataSource) {
        return DbGuard.builder().dataSource(dataSource).build().report().result("connectivity").orElseThrow();
    }

    private static String insertFails(DataSource app) {
        SQLException e = catchThrowableOfType(SQLException.class, () -> {
            try (Connection c = app.getConnection(); Statement st = c.createStatement()) {
                st.executeUpdate("INSERT INTO orders VALUES (1)");
            }
        });
        return e == null ? null : e.getSQLState();
    }
}
