package io.ampora.dbguard.examples.usertests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ampora.dbguard.flyway.MigrationAssertions;
import io.ampora.dbguard.rls.TenantHelper;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * What a team copies into its own service: one test proving that the migrations apply on an empty
 * database, build exactly the committed schema ({@code src/test/resources/db/schema.json}; regenerate with
 * {@code -Dampora.snapshot.update=true}, review the diff, commit), and are safe to run while the previous
 * release still serves traffic (backward compatible, no table rewrite, foreign keys indexed).
 */
@WithPostgres
class MigrationCompatibilityTest {

    static final Path SNAPSHOT = Path.of("src/test/resources/db/schema.json");

    @Test
    void migrationsAreSafeAndBuildTheCommittedSchema(TestDatabase db) {
        MigrationAssertions.MigratedDatabase migrated = MigrationAssertions.forLocations("classpath:db/migration")
                .on(db.dataSource())
                .isSafe()
                .matchesSnapshot(SNAPSHOT);

        assertThat(migrated.applied()).hasSize(4);
        assertThat(migrated.violations()).isEmpty();
    }

    @Test
    void aRenamedColumnInTheNextReleaseIsCaughtBeforeItShips(TestDatabase db) throws Exception {
        try (TestDatabase empty = TestDatabase.create(db.server(), MigrationCompatibilityTest.class)) {
            MigrationAssertions.MigratedDatabase next = MigrationAssertions
                    .forLocations("classpath:db/migration", "classpath:db/next-release-unsafe")
                    .on(empty.dataSource());

            assertThatThrownBy(next::isBackwardCompatible)
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("V5__orders_customer_to_customer_name.sql")
                    .hasMessageContaining("customer")
                    .hasMessageContaining("expand then contract");
        }
    }

    @Test
    void theTenantHelperMigrationIsTheHelperTheLibraryShips() throws Exception {
        String migration;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("db/migration/V2__tenant_helper.sql")) {
            migration = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }

        assertThat(migration.substring(migration.indexOf('\n') + 1).strip()).isEqualTo(TenantHelper.sql().strip());
    }
}
