package io.ampora.dbguard.runbook.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.testing.NonResettingPool;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The database accepts connections and reads, and every write fails with 25006: {@code default_transaction_read_only}
 * was set for the database or the application's role (a maintenance switch left on, or a hosting provider's
 * reaction to an exceeded storage quota). Reproduced for real; {@code connectivity} said PASS before.
 */
class ReadOnlyByDefaultTest {

    private static final String SECRET = "Ro-Pw-77";
    /** Run in a new session, itself read-only by default while the setting is on. */
    private static final String RESET_ALL = "BEGIN READ WRITE; ALTER ROLE ALL RESET default_transaction_read_only; COMMIT;";

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

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void aDatabaseSetReadOnlyAfterThePoolOpenedItsSessionFailsBeforeThePoolsOwnWritesDo(String version)
            throws Exception {
        try (TestDatabase db = TestDatabase.create(PostgresServers.get(new ServerSpec(version, Map.of(), false)),
                ReadOnlyByDefaultTest.class)) {
            db.execute("CREATE TABLE orders (id int)");
            db.createRole("ro_app", SECRET, "");
            db.execute("GRANT INSERT, SELECT ON orders TO ro_app");
            NonResettingPool pool = NonResettingPool.of(db.dataSource("ro_app", SECRET));
            try {
                DbGuard guard = DbGuard.builder().dataSource(pool).build();
                assertThat(guard.report().result("connectivity").orElseThrow().status()).isEqualTo(CheckStatus.PASS);
                int opened = pool.physicalConnections().size();

                db.execute("ALTER DATABASE " + db.name() + " SET default_transaction_read_only = on");

                assertThat(insertFails(pool)).as("the pool's open session still writes").isNull();
                assertThat(insertFails(db.dataSource("ro_app", SECRET))).as("a new session").isEqualTo("25006");
                CheckResult read = guard.report().result("connectivity").orElseThrow();
                assertThat(pool.physicalConnections()).as("the guard used the sessions opened before").hasSize(opened);
                assertThat(read.status()).as(read.toString()).isEqualTo(CheckStatus.FAIL);
                assertThat(read.summary()).contains("but new sessions are read-only (default_transaction_read_only = on,"
                        + " set for the database (ALTER DATABASE ... SET), after this session started): their writes"
                        + " fail with 25006.");
                assertThat(read.findings()).singleElement().satisfies(f -> assertThat(f.details())
                        .containsEntry("source", "database").containsEntry("newSessions", "on"));
                assertThat(read.remediation()).contains("BEGIN READ WRITE; ALTER DATABASE " + db.name()
                        + " RESET default_transaction_read_only; COMMIT;");
                assertThat(DbGuard.builder().dataSource(pool).set("connectivity.expectPrimary", "false").build()
                        .report().result("connectivity").orElseThrow().status()).as("a service meant to only read")
                        .isEqualTo(CheckStatus.PASS);
            } finally {
                pool.closeAll();
            }
        }
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void aReadOnlySettingResetAfterThePoolOpenedItsSessionAsksOnlyToRecycleIt(String version) throws Exception {
        // ALTER ROLE ALL reaches every database of the server: a server of its own
        ServerSpec own = new ServerSpec(version, Map.of("cluster_name", "every_role_read_only"), false);
        try (TestDatabase db = TestDatabase.create(PostgresServers.get(own), ReadOnlyByDefaultTest.class)) {
            db.createRole("ro_all", SECRET, "");
            db.createRole("other_app", SECRET, "");
            db.execute("ALTER ROLE ALL SET default_transaction_read_only = on");
            NonResettingPool pool = NonResettingPool.of(db.dataSource("ro_all", SECRET));
            try {
                DbGuard guard = DbGuard.builder().dataSource(pool).build();
                CheckResult all = guard.report().result("connectivity").orElseThrow();
                assertThat(all.status()).isEqualTo(CheckStatus.FAIL);
                assertThat(all.findings().get(0).details()).containsEntry("source", "global");
                assertThat(all.summary()).contains("set for every role (ALTER ROLE ALL ... SET)");
                assertThat(all.remediation()).contains("BEGIN READ WRITE; ALTER ROLE ALL RESET"
                        + " default_transaction_read_only; COMMIT;").doesNotContain("ALTER SYSTEM");

                db.execute(RESET_ALL);

                CheckResult stale = guard.report().result("connectivity").orElseThrow();
                assertThat(stale.status()).as(stale.toString()).isEqualTo(CheckStatus.FAIL);
                assertThat(stale.summary()).contains("but this session is still read-only (default_transaction_read_only"
                        + " = on, set for every role (ALTER ROLE ALL ... SET), reset since it started)");
                assertThat(stale.findings().get(0).details()).containsEntry("newSessions", "off");
                assertThat(stale.remediation()).startsWith("The setting is already reset; replace the sessions opened"
                        + " before: HikariPoolMXBean.softEvictConnections()").doesNotContain("ALTER");
                assertThat(connectivity(db.dataSource("other_app", SECRET)).status()).as("a new session")
                        .isEqualTo(CheckStatus.PASS);
            } finally {
                pool.closeAll();
                db.execute(RESET_ALL);
            }
        }
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void aConnectionThatAsksToWriteIsNotTroubledByTheDatabasesReadOnlyDefault(String version) throws Exception {
        try (TestDatabase db = TestDatabase.create(PostgresServers.get(new ServerSpec(version, Map.of(), false)),
                ReadOnlyByDefaultTest.class)) {
            db.createRole("rw_app", SECRET, "");
            db.execute("ALTER DATABASE " + db.name() + " SET default_transaction_read_only = true");
            PGSimpleDataSource asksToWrite = db.dataSource("rw_app", SECRET);
            asksToWrite.setOptions("-c default_transaction_read_only=off");
            CheckResult read = connectivity(asksToWrite);
            assertThat(read.status()).as(read.toString()).isEqualTo(CheckStatus.PASS);
            assertThat(read.summary()).contains("the connection settings ask for default_transaction_read_only = off");
            assertThat(connectivity(db.dataSource("rw_app", SECRET)).status()).as("without the option")
                    .isEqualTo(CheckStatus.FAIL);
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
