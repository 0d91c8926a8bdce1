package io.ampora.dbguard.flyway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ampora.dbguard.flyway.MigrationAssertions.MigratedDatabase;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.flywaydb.core.Flyway;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The migration-test API on the demo migration sets; each test migrates into a schema of its own. */
@WithPostgres
class MigrationAssertionsTest {

    static final String SAFE = "classpath:db/demo/safe";
    static final String UNSAFE = "classpath:db/demo/unsafe";

    @Test
    void expandOnlyMigrationsPassEveryRule(TestDatabase db) {
        MigratedDatabase migrated = MigrationAssertions.forLocations(SAFE).schemas("safe").on(db.dataSource());

        migrated.isSafe();

        assertThat(migrated.applied()).containsExactly("V1__create_customers.sql", "V2__create_orders.sql",
                "V3__expand_customers_and_notes.sql", "V3_1__add_pinned_note.sql",
                "V3_2__index_pinned_note_concurrently.sql", "V4__link_orders_to_notes_not_valid.sql",
                "V5__validate_pinned_note_fk.sql");
        assertThat(migrated.violations()).isEmpty();
    }

    @Test
    void catchesDroppedColumnRenamedTableTypeChangeAndRequiredColumn(TestDatabase db) {
        MigratedDatabase migrated = MigrationAssertions.forLocations(UNSAFE).schemas("unsafe_compat").on(db.dataSource());

        assertThatThrownBy(migrated::isBackwardCompatible).isInstanceOf(AssertionError.class)
                .hasMessageContaining("V3__drop_legacy_code.sql: drops column unsafe_compat.customers.legacy_code")
                .hasMessageContaining("V4__rename_orders.sql: renames table unsafe_compat.orders to unsafe_compat.purchases")
                .hasMessageContaining("V5__total_in_cents.sql: changes the type of column unsafe_compat.purchases.total"
                        + " from numeric(12,2) to bigint")
                .hasMessageContaining("V7__require_region.sql: adds NOT NULL column unsafe_compat.customers.region"
                        + " without a default")
                .hasMessageContaining("expand then contract");
    }

    @Test
    void catchesATypeChangeThatRewritesTheTable(TestDatabase db) {
        MigratedDatabase migrated = MigrationAssertions.forLocations(UNSAFE).schemas("unsafe_rewrite").on(db.dataSource());

        assertThatThrownBy(migrated::rewritesNoTable).isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("1 unsafe migration steps")
                .hasMessageContaining("V5__total_in_cents.sql: rewrites table unsafe_rewrite.purchases (relfilenode ")
                .hasMessageContaining("ACCESS EXCLUSIVE");
    }

    @Test
    void catchesAForeignKeyWithoutIndexValidatedOnALiveTable(TestDatabase db) {
        MigratedDatabase migrated = MigrationAssertions.forLocations(UNSAFE).schemas("unsafe_fk").on(db.dataSource());

        assertThatThrownBy(migrated::keepsForeignKeysSafe).isInstanceOf(AssertionError.class)
                .hasMessageContaining("V6__add_coupons.sql: adds foreign key unsafe_fk.purchases.purchases_coupon_id_fkey"
                        + " on unsafe_fk.purchases (coupon_id) without an index")
                .hasMessageContaining("CREATE INDEX CONCURRENTLY ON unsafe_fk.purchases (coupon_id)")
                .hasMessageContaining("NOT VALID in one migration, then ALTER TABLE ... VALIDATE");
    }

    @Test
    void allowedMigrationIsNotReported(TestDatabase db) {
        MigratedDatabase migrated = MigrationAssertions.forLocations(UNSAFE).schemas("unsafe_allowed")
                .allow("V3__drop_legacy_code.sql", MigrationRule.BACKWARD_COMPATIBLE, MigrationRule.LOCK_TIMEOUT)
                .allow("5")
                .on(db.dataSource());

        assertThat(migrated.violations()).extracting(MigrationViolation::script)
                .doesNotContain("V3__drop_legacy_code.sql", "V5__total_in_cents.sql")
                .contains("V4__rename_orders.sql", "V6__add_coupons.sql", "V7__require_region.sql");
    }

    @Test
    void failingMigrationIsNamed(TestDatabase db) {
        MigratedDatabase migrated = MigrationAssertions.forLocations("classpath:db/flyway/broken").schemas("broken")
                .on(db.dataSource());

        assertThatThrownBy(migrated::appliesCleanly).isInstanceOf(AssertionError.class)
                .hasMessageContaining("V2__index_concurrently.sql failed on an empty database after 1 migrations applied")
                .hasMessageContaining("no_such_column");
    }

    @Test
    void refusesADatabaseThatIsNotEmpty(TestDatabase db) throws Exception {
        db.execute("CREATE SCHEMA busy; CREATE TABLE busy.leftover (id int)");

        assertThatThrownBy(() -> MigrationAssertions.forLocations(SAFE).schemas("busy").on(db.dataSource()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("needs an empty database").hasMessageContaining("busy.leftover");
    }

    @Test
    void schemaMatchesTheCommittedSnapshotAndDifferencesAreListed(TestDatabase db, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("schema.json");
        MigratedDatabase migrated = MigrationAssertions.forLocations(SAFE).schemas("snap").on(db.dataSource());

        assertThatThrownBy(() -> migrated.matchesSnapshot(file)).hasMessageContaining("-Dampora.snapshot.update=true");
        System.setProperty(MigrationAssertions.UPDATE_PROPERTY, "true");
        try {
            migrated.matchesSnapshot(file);
        } finally {
            System.clearProperty(MigrationAssertions.UPDATE_PROPERTY);
        }
        migrated.matchesSnapshot(file);

        String json = Files.readString(file);
        assertThat(json).contains("\"name\" : \"snap.customers.status\"").contains("'active'::text");
        Files.writeString(file, json.replace("numeric(12,2)", "numeric(10,2)"));
        assertThatThrownBy(() -> migrated.matchesSnapshot(file)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("changed column snap.orders.total: type numeric(10,2) -> numeric(12,2)");
    }

    @Test
    void demoMigrationsBuildTheCommittedSnapshot(TestDatabase db) {
        // Regenerate with: mvn -pl ampora-dbguard-flyway -am test -Dtest=MigrationAssertionsTest -Dampora.snapshot.update=true
        MigrationAssertions.forLocations(SAFE).schemas("demo").on(db.dataSource())
                .isSafe()
                .matchesSnapshot(Path.of("src/test/resources/db/demo/safe-schema.json"));
    }

    @Test
    void aStaleExemptionNamingNoMigrationFailsTheTest(TestDatabase db) {
        MigrationAssertions assertions = MigrationAssertions.forLocations(SAFE).schemas("stale")
                .allow("V7__drop_legacy_code.sql", MigrationRule.BACKWARD_COMPATIBLE);

        assertThatThrownBy(() -> assertions.on(db.dataSource())).isInstanceOf(AssertionError.class)
                .hasMessageContaining(".allow(\"V7__drop_legacy_code.sql\", ...) names no migration in [" + SAFE + "]")
                .hasMessageContaining("The migrations are: V1__create_customers.sql, V2__create_orders.sql,"
                        + " V3__expand_customers_and_notes.sql")
                .hasMessageContaining("V5__validate_pinned_note_fk.sql");
        assertThat(MigrationAssertions.forLocations(SAFE).schemas("not_stale").allow("V2__create_orders.sql")
                .allow("5").on(db.dataSource()).applied()).hasSize(7);
    }

    @Test
    void snapshotIsCreatedInOneExplicitStepAndAnUpdateReportsWhatChanged(TestDatabase db, @TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("schema.json");
        MigratedDatabase migrated = MigrationAssertions.forLocations(SAFE).schemas("snapflow").on(db.dataSource());

        assertThatThrownBy(() -> migrated.matchesSnapshot(file)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("Create it in one step: run this test once with -Dampora.snapshot.update=true")
                .hasMessageContaining("it will write 32 objects (12 column, 7 constraint, 7 index, 3 sequence, 3 table)");
        assertThat(migrated.snapshotReport()).isEmpty();

        migrated.updateSnapshot(file);
        assertThat(migrated.snapshotReport()).hasValueSatisfying(r -> assertThat(r)
                .startsWith("Created the schema snapshot " + file.toAbsolutePath() + " with 32 objects (12 column, 7 constraint")
                .contains(" table"));
        migrated.matchesSnapshot(file);

        Files.writeString(file, Files.readString(file).replace("numeric(12,2)", "numeric(10,2)"));
        System.setProperty(MigrationAssertions.UPDATE_PROPERTY, "true");
        try {
            migrated.matchesSnapshot(file);
        } finally {
            System.clearProperty(MigrationAssertions.UPDATE_PROPERTY);
        }
        assertThat(migrated.snapshotReport()).hasValueSatisfying(r -> assertThat(r)
                .startsWith("Updated the schema snapshot " + file.toAbsolutePath() + " (1 differences)")
                .contains("changed column snapflow.orders.total: type numeric(10,2) -> numeric(12,2)"));
        migrated.matchesSnapshot(file);
        migrated.updateSnapshot(file);
        assertThat(migrated.snapshotReport()).hasValueSatisfying(r -> assertThat(r).contains("is unchanged (32 objects)"));
    }

    @Test
    void aMigrationWaitingForALockIsCancelledNamingTheBlockerInsteadOfHanging(TestDatabase db, @TempDir Path dir)
            throws Exception {
        db.execute("CREATE SCHEMA shared; CREATE TABLE shared.accounts (id bigint PRIMARY KEY)");
        Files.writeString(dir.resolve("V1__create.sql"), "CREATE TABLE local_notes (id bigint PRIMARY KEY);");
        Files.writeString(dir.resolve("V2__change.sql"), "ALTER TABLE shared.accounts ADD COLUMN note text;");
        Connection holder = db.openSession();
        int pid;
        try (Statement st = holder.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            pid = rs.getInt(1);
            st.execute("SET application_name = 'report-job'");
            holder.setAutoCommit(false);
            st.execute("SELECT count(*) FROM shared.accounts");
        }

        long start = System.nanoTime();
        MigratedDatabase migrated = MigrationAssertions.forLocations("filesystem:" + dir.toAbsolutePath())
                .schemas("waits").lockWaitLimit(Duration.ofSeconds(2)).on(db.dataSource());
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        holder.rollback();

        assertThatThrownBy(migrated::appliesCleanly).isInstanceOf(AssertionError.class)
                .hasMessageContaining("V2__change.sql failed on an empty database after 1 migrations applied:"
                        + " V2__change.sql waited longer than 2.0s for a lock (relation) running ALTER TABLE"
                        + " shared.accounts ADD COLUMN note text; blocked by pid " + pid + " (application 'report-job'")
                .hasMessageContaining("idle in transaction, transaction open for ");
        assertThat(elapsedMs).as("bounded, not hung").isLessThan(60_000);
    }

    @Test
    void theOpenStreetMapSchemaLoadedAsOneMigrationRaisesNothing(TestDatabase db, @TempDir Path dir) throws Exception {
        Path osm = Path.of(System.getProperty("ampora.realworld.dir", "/work/shared/realworld"),
                "openstreetmap-structure.sql");
        Assumptions.assumeTrue(Files.exists(osm), "the real-world schema dump is not on this machine: " + osm);
        Files.copy(osm, dir.resolve("V1__openstreetmap_structure.sql"));
        try (TestDatabase empty = TestDatabase.create(db.server(), MigrationAssertionsTest.class);
             TestDatabase again = TestDatabase.create(db.server(), MigrationAssertionsTest.class)) {
            MigratedDatabase migrated = MigrationAssertions.forLocations("filesystem:" + dir.toAbsolutePath())
                    .on(empty.dataSource());

            // No lock rule fires on a schema load: every table is new. The only findings are the 12 foreign keys
            // OpenStreetMap leaves without an index (true: e.g. nodes.redaction_id), the older FOREIGN_KEY_SAFE rule.
            assertThat(migrated.violations()).hasSize(12).allSatisfy(v -> {
                assertThat(v.rule()).isEqualTo(MigrationRule.FOREIGN_KEY_SAFE);
                assertThat(v.reason()).contains("without an index");
            });
            MigrationAssertions.forLocations("filesystem:" + dir.toAbsolutePath())
                    .allow("V1__openstreetmap_structure.sql", MigrationRule.FOREIGN_KEY_SAFE)
                    .on(again.dataSource()).isSafe();
            assertThat(migrated.records()).singleElement().satisfies(r -> {
                assertThat(r.statements()).hasSizeGreaterThan(300);
                assertThat(r.tables()).as("every table is new: exempt").isEmpty();
            });
            assertThat(migrated.schema().objects()).hasSizeGreaterThan(300);
        }
    }
}
