package io.ampora.dbguard.runbook.versions;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * A data directory restored on an OS image whose ICU sorts differently than the one the indexes were built
 * with. The catalog's recorded version is set back by hand, as the restore leaves it, while the server's ICU
 * reports its own: the same comparison PostgreSQL makes when it logs "collation ... has version mismatch".
 */
class CollationVersionsCheckTest {

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void failsWhenAnIcuCollationChangedVersionUnderItsIndexes(String version) throws Exception {
        PostgresServer server = PostgresServers.get(ServerSpec.defaults().onVersion(version));
        try (TestDatabase db = TestDatabase.create(server, CollationVersionsCheckTest.class)) {
            db.execute("""
                    CREATE COLLATION german (provider = icu, locale = 'de-DE');
                    CREATE TABLE customer (id bigint PRIMARY KEY, name text COLLATE german, email text);
                    CREATE INDEX customer_name ON customer (name);
                    CREATE UNIQUE INDEX customer_name_email ON customer (name, email);
                    INSERT INTO customer SELECT g, 'name ' || g, 'e' || g FROM generate_series(1, 100) g;
                    """);
            String actual = db.queryString("SELECT collversion FROM pg_collation WHERE collname = 'german'");

            CheckResult before = Checks.run(db.dataSource(), new CollationVersionsCheck());
            assertThat(before.status()).as(before.toString()).isEqualTo(CheckStatus.PASS);

            db.execute("UPDATE pg_collation SET collversion = '1.0' WHERE collname = 'german'");
            CheckResult restored = Checks.run(db.dataSource(), new CollationVersionsCheck());

            assertThat(restored.status()).as(restored.toString()).isEqualTo(CheckStatus.FAIL);
            assertThat(restored.summary()).contains("1 collation sorts differently from when 2 indexes were built",
                    "collation public.german 1.0 -> " + actual);
            assertThat(restored.findings()).singleElement().satisfies(f -> assertThat(f.details())
                    .containsEntry("collation", "public.german").containsEntry("provider", "ICU")
                    .containsEntry("recordedVersion", "1.0").containsEntry("actualVersion", actual)
                    .containsEntry("indexCount", 2L)
                    .containsEntry("indexes", "public.customer_name, public.customer_name_email"));
            assertThat(restored.remediation()).contains("REINDEX INDEX CONCURRENTLY public.customer_name;",
                    "REINDEX INDEX CONCURRENTLY public.customer_name_email;", "ALTER COLLATION public.german REFRESH VERSION;");
            if (version.equals("13")) {
                assertThat(restored.summary()).doesNotContain("default collation");
                assertThat(before.summary()).contains("PostgreSQL 13", "records no version for the database's default collation");
            }

            // the fix as the remediation gives it
            try (Connection c = db.openSession(); Statement st = c.createStatement()) {
                st.execute("REINDEX INDEX CONCURRENTLY public.customer_name");
                st.execute("REINDEX INDEX CONCURRENTLY public.customer_name_email");
                st.execute("ALTER COLLATION public.german REFRESH VERSION");
            }
            CheckResult fixed = Checks.run(db.dataSource(), new CollationVersionsCheck());
            assertThat(fixed.status()).as(fixed.toString()).isEqualTo(CheckStatus.PASS);
        }
    }

    @Test
    void failsWhenTheDatabasesDefaultCollationChangedVersion() throws Exception {
        PostgresServer server = PostgresServers.get(ServerSpec.defaults().onVersion("18"));
        String name = "collation_restored_" + ProcessHandle.current().pid();
        server.adminExecute("CREATE DATABASE " + name + " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'de-DE'"
                + " LOCALE 'C.UTF-8'");
        try {
            try (Connection c = server.adminDataSource(name).getConnection(); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE product (id bigint PRIMARY KEY, title text)");
                st.execute("CREATE INDEX product_title ON product (title)");
            }
            CheckResult before = Checks.run(server.adminDataSource(name), new CollationVersionsCheck());
            assertThat(before.status()).as(before.toString()).isEqualTo(CheckStatus.PASS);
            assertThat(before.summary()).contains("The database's default collation is at its recorded version");

            server.adminExecute("UPDATE pg_database SET datcollversion = '1.0' WHERE datname = '" + name + "'");
            CheckResult restored = Checks.run(server.adminDataSource(name), new CollationVersionsCheck());

            assertThat(restored.status()).as(restored.toString()).isEqualTo(CheckStatus.FAIL);
            assertThat(restored.findings()).singleElement().satisfies(f -> assertThat(f.details())
                    .containsEntry("database", name).containsEntry("provider", "ICU").containsEntry("recordedVersion", "1.0")
                    .containsEntry("indexes", "public.product_title"));
            assertThat(restored.remediation()).contains("REINDEX INDEX CONCURRENTLY public.product_title;",
                    "ALTER DATABASE " + name + " REFRESH COLLATION VERSION;");

            try (Connection c = server.adminDataSource(name).getConnection(); Statement st = c.createStatement()) {
                st.execute("REINDEX INDEX CONCURRENTLY public.product_title");
                st.execute("ALTER DATABASE " + name + " REFRESH COLLATION VERSION");
            }
            CheckResult fixed = Checks.run(server.adminDataSource(name), new CollationVersionsCheck());
            assertThat(fixed.status()).as(fixed.toString()).isEqualTo(CheckStatus.PASS);
        } finally {
            server.adminExecute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
    }
}
