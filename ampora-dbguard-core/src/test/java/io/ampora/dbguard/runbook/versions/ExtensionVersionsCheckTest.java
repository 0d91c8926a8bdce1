package io.ampora.dbguard.runbook.versions;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An extension at the version an older server created (what pg_upgrade keeps until its
 * update_extensions.sql runs), created for real from the server's own older install script; and an extension
 * the server has no files for, as a restore onto a server without the package leaves it (its catalog entry
 * renamed to a name no control file has).
 */
class ExtensionVersionsCheckTest {

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void namesAnExtensionLeftAtAnOlderVersionAndOneWithoutFiles(String version) throws Exception {
        PostgresServer server = PostgresServers.get(ServerSpec.defaults().onVersion(version));
        try (TestDatabase db = TestDatabase.create(server, ExtensionVersionsCheckTest.class)) {
            CheckResult clean = Checks.run(db.dataSource(), new ExtensionVersionsCheck());
            assertThat(clean.status()).as(clean.toString()).isEqualTo(CheckStatus.PASS);

            db.execute("CREATE EXTENSION pgstattuple VERSION '1.4'");
            String current = db.queryString("SELECT default_version FROM pg_available_extensions WHERE name = 'pgstattuple'");
            CheckResult old = Checks.run(db.dataSource(), new ExtensionVersionsCheck());
            assertThat(old.status()).as(old.toString()).isEqualTo(CheckStatus.WARN);
            assertThat(old.summary()).contains("1 extension is at another version than this server's files (pgstattuple 1.4"
                    + " (server: " + current + "))", "update_extensions.sql");
            assertThat(old.findings()).singleElement().satisfies(f -> assertThat(f.details())
                    .containsEntry("extension", "pgstattuple").containsEntry("installedVersion", "1.4")
                    .containsEntry("serverVersion", current));
            assertThat(old.remediation()).startsWith("ALTER EXTENSION pgstattuple UPDATE;");

            db.execute("CREATE EXTENSION pg_trgm");
            db.execute("UPDATE pg_extension SET extname = 'ampora_gone' WHERE extname = 'pg_trgm'");
            CheckResult missing = Checks.run(db.dataSource(), new ExtensionVersionsCheck());
            assertThat(missing.status()).as(missing.toString()).isEqualTo(CheckStatus.FAIL);
            assertThat(missing.summary()).contains("1 extension has no files on this server (ampora_gone ");
            assertThat(missing.remediation()).contains("Install the server package that provides ampora_gone",
                    "DROP EXTENSION ampora_gone;");

            db.execute("UPDATE pg_extension SET extname = 'pg_trgm' WHERE extname = 'ampora_gone'");
            db.execute("ALTER EXTENSION pgstattuple UPDATE");
            CheckResult fixed = Checks.run(db.dataSource(), new ExtensionVersionsCheck());
            assertThat(fixed.status()).as(fixed.toString()).isEqualTo(CheckStatus.PASS);
        }
    }
}
