package io.ampora.dbguard.flyway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ampora.dbguard.flyway.MigrationAssertions.MigratedDatabase;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The corpus: each change runs as a migration on tables that an earlier migration created and filled
 * with rows, and is judged from what PostgreSQL really did (pg_locks of the migrating session, rows
 * scanned, relfilenodes). Every unsafe change is caught by the right rule with the right message; every
 * safe pattern passes {@code isSafe()} with no violation at all.
 */
@WithPostgres
class MigrationLockCorpusTest {

    /** The existing tables every case starts from, each holding rows. */
    static final String BASE = """
            CREATE TABLE accounts (
                id        bigint PRIMARY KEY,
                email     text,
                status    text,
                amount    integer,
                parent_id bigint
            );
            INSERT INTO accounts SELECT g, 'user' || g || '@example.com', 'active', g % 100, NULL
            FROM generate_series(1, 2000) AS g;
            CREATE INDEX accounts_status_idx ON accounts (status);
            CREATE TABLE ledger (id bigint PRIMARY KEY, account_id bigint);
            INSERT INTO ledger SELECT g, 1 + g % 2000 FROM generate_series(1, 2000) AS g;
            CREATE INDEX ledger_account_id_idx ON ledger (account_id);
            CREATE TABLE events (id bigint NOT NULL, room integer, during int4range);
            INSERT INTO events SELECT g, g % 10, int4range(g, g + 1) FROM generate_series(1, 500) AS g;
            """;

    static final String LOCK_TIMEOUT = "SET lock_timeout = '5s';\n";

    record Case(String name, List<String> migrations, Set<MigrationRule> rules, List<String> expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Case unsafe(String name, String migration, MigrationRule rule, String... expected) {
        return new Case(name, List.of(migration), Set.of(rule), List.of(expected));
    }

    static Stream<Case> unsafeCases() {
        return Stream.of(
                unsafe("create_index", LOCK_TIMEOUT + "CREATE INDEX accounts_email_idx ON accounts (email);",
                        MigrationRule.INDEX_CONCURRENTLY, "builds index %s.accounts_email_idx on the existing table"
                                + " %s.accounts without CONCURRENTLY: it holds a SHARE lock on %s.accounts (blocks every"
                                + " write; 2000 rows scanned", "CREATE INDEX CONCURRENTLY in a migration of its own",
                        "Statement: statement 2 (CREATE INDEX accounts_email_idx ON accounts (email))"),
                unsafe("create_unique_index", LOCK_TIMEOUT + "CREATE UNIQUE INDEX accounts_email_key ON accounts (email);",
                        MigrationRule.INDEX_CONCURRENTLY, "builds index %s.accounts_email_key", "SHARE lock"),
                unsafe("create_index_non_transactional", "CREATE INDEX accounts_email_idx ON accounts (email);",
                        MigrationRule.INDEX_CONCURRENTLY, "builds index %s.accounts_email_idx", "SHARE lock"),
                unsafe("drop_index", LOCK_TIMEOUT + "DROP INDEX accounts_status_idx;",
                        MigrationRule.INDEX_CONCURRENTLY, "drops index %s.accounts_status_idx of the existing table"
                                + " %s.accounts without CONCURRENTLY: it holds an ACCESS EXCLUSIVE lock",
                        "DROP INDEX CONCURRENTLY"),
                unsafe("reindex_index", LOCK_TIMEOUT + "REINDEX INDEX accounts_status_idx;",
                        MigrationRule.INDEX_CONCURRENTLY, "rebuilds index %s.accounts_status_idx on %s.accounts (REINDEX)"
                                + " without CONCURRENTLY", "REINDEX INDEX CONCURRENTLY"),
                unsafe("reindex_table", LOCK_TIMEOUT + "REINDEX TABLE ledger;",
                        MigrationRule.INDEX_CONCURRENTLY, "rebuilds index %s.ledger_account_id_idx",
                        "rebuilds index %s.ledger_pkey"),
                unsafe("check_validated_when_added", LOCK_TIMEOUT
                                + "ALTER TABLE accounts ADD CONSTRAINT amount_positive CHECK (amount >= 0);",
                        MigrationRule.CONSTRAINT_VALIDATION, "adds CHECK constraint amount_positive on the existing table"
                                + " %s.accounts and validates it in the same step: it holds an ACCESS EXCLUSIVE lock on"
                                + " %s.accounts (blocks every read and write; 2000 rows scanned",
                        "NOT VALID; in one migration, then ALTER TABLE %s.accounts VALIDATE CONSTRAINT amount_positive"),
                unsafe("check_not_valid_and_validate_in_one_transaction", LOCK_TIMEOUT
                                + "ALTER TABLE accounts ADD CONSTRAINT amount_positive CHECK (amount >= 0) NOT VALID;\n"
                                + "ALTER TABLE accounts VALIDATE CONSTRAINT amount_positive;",
                        MigrationRule.CONSTRAINT_VALIDATION, "validates CHECK constraint amount_positive on %s.accounts in"
                                + " the transaction that added it", "2000 rows"),
                unsafe("unique_constraint_added", LOCK_TIMEOUT
                                + "ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);",
                        MigrationRule.CONSTRAINT_VALIDATION, "adds UNIQUE constraint accounts_email_key on the existing"
                                + " table %s.accounts, building its index", "CREATE UNIQUE INDEX CONCURRENTLY",
                        "UNIQUE USING INDEX"),
                unsafe("primary_key_added", LOCK_TIMEOUT + "ALTER TABLE events ADD PRIMARY KEY (id);",
                        MigrationRule.CONSTRAINT_VALIDATION, "adds PRIMARY KEY constraint events_pkey on the existing"
                                + " table %s.events", "PRIMARY KEY USING INDEX"),
                unsafe("exclude_constraint_added", LOCK_TIMEOUT
                                + "ALTER TABLE events ADD CONSTRAINT events_no_overlap EXCLUDE USING gist (during WITH &&);",
                        MigrationRule.CONSTRAINT_VALIDATION, "adds EXCLUDE constraint events_no_overlap",
                        "no online way"),
                unsafe("foreign_key_validated_when_added", LOCK_TIMEOUT + "ALTER TABLE ledger ADD CONSTRAINT"
                                + " ledger_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);",
                        MigrationRule.FOREIGN_KEY_SAFE, "adds and validates foreign key %s.ledger.ledger_account_fk",
                        "NOT VALID in one migration"),
                unsafe("set_not_null_without_check", LOCK_TIMEOUT + "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;",
                        MigrationRule.SET_NOT_NULL, "sets NOT NULL on %s.accounts.email without a validated CHECK (email"
                                + " IS NOT NULL) first: it holds an ACCESS EXCLUSIVE lock on %s.accounts (blocks every"
                                + " read and write; 2000 rows scanned",
                        "CHECK (email IS NOT NULL) NOT VALID", "PostgreSQL 12+ skips the scan"),
                unsafe("volatile_default_rewrite", LOCK_TIMEOUT
                                + "ALTER TABLE accounts ADD COLUMN created_at timestamptz DEFAULT clock_timestamp();",
                        MigrationRule.NO_TABLE_REWRITE, "rewrites table %s.accounts (relfilenode ",
                        "the new column created_at with the volatile default clock_timestamp()",
                        "constant one: no rewrite since PostgreSQL 11"),
                new Case("type_change_rewrite", List.of(LOCK_TIMEOUT + "ALTER TABLE accounts ALTER COLUMN amount TYPE bigint;"),
                        Set.of(MigrationRule.NO_TABLE_REWRITE, MigrationRule.BACKWARD_COMPATIBLE),
                        List.of("rewrites table %s.accounts", "the type change of column amount from integer to bigint")),
                unsafe("vacuum_full_rewrite", "VACUUM FULL accounts;", MigrationRule.NO_TABLE_REWRITE,
                        "rewrites table %s.accounts", "VACUUM FULL copies it", "pg_repack"),
                unsafe("cluster_rewrite", LOCK_TIMEOUT + "CLUSTER accounts USING accounts_pkey;",
                        MigrationRule.NO_TABLE_REWRITE, "CLUSTER copies it in index order"),
                unsafe("identity_column_rewrite", LOCK_TIMEOUT
                                + "ALTER TABLE ledger ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;",
                        MigrationRule.NO_TABLE_REWRITE, "rewrites table %s.ledger", "the new identity column seq"),
                unsafe("serial_column_rewrite", LOCK_TIMEOUT + "ALTER TABLE ledger ADD COLUMN seq bigserial;",
                        MigrationRule.NO_TABLE_REWRITE, "the new serial column seq"),
                unsafe("add_column_without_lock_timeout", "ALTER TABLE accounts ADD COLUMN note text;",
                        MigrationRule.LOCK_TIMEOUT, "takes an ACCESS EXCLUSIVE lock on %s.accounts without setting"
                                + " lock_timeout first", "SET lock_timeout = '5s';",
                        "Statement: statement 1 (ALTER TABLE accounts ADD COLUMN note text)"),
                unsafe("set_default_without_lock_timeout", "ALTER TABLE accounts ALTER COLUMN status SET DEFAULT 'new';",
                        MigrationRule.LOCK_TIMEOUT, "takes an ACCESS EXCLUSIVE lock on %s.accounts"),
                unsafe("enable_rls_without_lock_timeout", "ALTER TABLE ledger ENABLE ROW LEVEL SECURITY;",
                        MigrationRule.LOCK_TIMEOUT, "takes an ACCESS EXCLUSIVE lock on %s.ledger"));
    }

    static Stream<Case> safeCases() {
        return Stream.of(
                safe("create_index_concurrently", "CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);"),
                safe("drop_index_concurrently", "DROP INDEX CONCURRENTLY accounts_status_idx;"),
                safe("reindex_concurrently", "REINDEX INDEX CONCURRENTLY accounts_status_idx;"),
                safe("check_not_valid_then_validate",
                        LOCK_TIMEOUT + "ALTER TABLE accounts ADD CONSTRAINT amount_positive CHECK (amount >= 0) NOT VALID;",
                        "ALTER TABLE accounts VALIDATE CONSTRAINT amount_positive;"),
                safe("foreign_key_not_valid_then_validate", "ALTER TABLE ledger ADD CONSTRAINT ledger_account_fk"
                                + " FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;",
                        "ALTER TABLE ledger VALIDATE CONSTRAINT ledger_account_fk;"),
                safe("unique_via_concurrent_index_then_using_index",
                        "CREATE UNIQUE INDEX CONCURRENTLY accounts_email_key ON accounts (email);",
                        LOCK_TIMEOUT + "ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE USING INDEX accounts_email_key;"),
                safe("primary_key_via_concurrent_index_then_using_index",
                        "CREATE UNIQUE INDEX CONCURRENTLY events_pkey ON events (id);",
                        LOCK_TIMEOUT + "ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;"),
                safe("set_not_null_after_validated_check",
                        LOCK_TIMEOUT + "ALTER TABLE accounts ADD CONSTRAINT accounts_email_not_null CHECK (email IS NOT NULL) NOT VALID;",
                        "ALTER TABLE accounts VALIDATE CONSTRAINT accounts_email_not_null;",
                        LOCK_TIMEOUT + "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\n"
                                + "ALTER TABLE accounts DROP CONSTRAINT accounts_email_not_null;"),
                safe("nullable_column_with_lock_timeout", LOCK_TIMEOUT + "ALTER TABLE accounts ADD COLUMN note text;"),
                safe("constant_default_with_lock_timeout",
                        LOCK_TIMEOUT + "ALTER TABLE accounts ADD COLUMN tier text NOT NULL DEFAULT 'basic';"),
                safe("brand_new_table_with_index_and_foreign_key", """
                        CREATE TABLE payments (id bigint PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id),
                                               amount integer CHECK (amount > 0));
                        CREATE INDEX payments_account_id_idx ON payments (account_id);
                        INSERT INTO payments VALUES (1, 1, 10);
                        ALTER TABLE payments ADD COLUMN created_at timestamptz NOT NULL DEFAULT clock_timestamp();
                        """),
                safe("lock_timeout_before_brief_access_exclusive",
                        "SET lock_timeout = '2s';\nALTER TABLE accounts ALTER COLUMN status SET DEFAULT 'new';"),
                safe("batched_backfill", "UPDATE accounts SET status = 'verified' WHERE id <= 500;"));
    }

    static Case safe(String name, String... migrations) {
        return new Case(name, List.of(migrations), Set.of(), List.of());
    }

    @ParameterizedTest(name = "unsafe: {0}")
    @MethodSource("unsafeCases")
    void unsafeChangeOnATableHoldingRowsIsCaughtByItsRule(Case c, TestDatabase db, @TempDir Path dir) throws IOException {
        String schema = "u_" + c.name();
        MigratedDatabase migrated = MigrationAssertions.forLocations(locations(dir, c)).schemas(schema).on(db.dataSource());

        migrated.appliesCleanly();
        assertThat(migrated.violations()).extracting(MigrationViolation::rule).containsOnlyElementsOf(c.rules());
        assertThat(migrated.violations()).extracting(MigrationViolation::script).containsOnly("V2__change.sql");
        String messages = migrated.violations().stream().map(MigrationViolation::message).collect(Collectors.joining("\n"));
        for (String expected : c.expected()) {
            assertThat(messages).contains(expected.replace("%s", schema));
        }
        for (MigrationRule rule : c.rules()) {
            assertThat(migrated.violations()).extracting(MigrationViolation::rule).contains(rule);
        }
        assertThatThrownBy(migrated::isSafe).isInstanceOf(AssertionError.class)
                .hasMessageContaining("V2__change.sql: ");
    }

    @Test
    void eachLockRuleCanBeAllowedPerFileAndLockTimeoutSwitchedOff(TestDatabase db, @TempDir Path dir) throws IOException {
        Case c = new Case("allowed", List.of("CREATE INDEX accounts_email_idx ON accounts (email);\n"
                + "ALTER TABLE accounts ADD CONSTRAINT amount_positive CHECK (amount >= 0);\n"
                + "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\n"
                + "ALTER TABLE accounts ADD COLUMN created_at timestamptz DEFAULT clock_timestamp();\n"), Set.of(), List.of());
        String location = locations(dir, c);
        MigratedDatabase all = MigrationAssertions.forLocations(location).schemas("allowed_none").on(db.dataSource());
        assertThat(all.violations()).extracting(MigrationViolation::rule).containsExactlyInAnyOrder(
                MigrationRule.INDEX_CONCURRENTLY, MigrationRule.CONSTRAINT_VALIDATION, MigrationRule.SET_NOT_NULL,
                MigrationRule.NO_TABLE_REWRITE, MigrationRule.LOCK_TIMEOUT);

        MigratedDatabase allowed = MigrationAssertions.forLocations(location).schemas("allowed_some")
                .allow("V2__change.sql", MigrationRule.INDEX_CONCURRENTLY, MigrationRule.CONSTRAINT_VALIDATION)
                .allow("2", MigrationRule.SET_NOT_NULL, MigrationRule.NO_TABLE_REWRITE)
                .requireLockTimeout(false)
                .on(db.dataSource());
        assertThat(allowed.violations()).isEmpty();
        allowed.isSafe();
    }

    @ParameterizedTest(name = "safe: {0}")
    @MethodSource("safeCases")
    void safePatternOnATableHoldingRowsPasses(Case c, TestDatabase db, @TempDir Path dir) throws IOException {
        MigratedDatabase migrated = MigrationAssertions.forLocations(locations(dir, c)).schemas("s_" + c.name())
                .on(db.dataSource());

        assertThat(migrated.violations()).isEmpty();
        migrated.isSafe();
        assertThat(migrated.applied()).hasSize(1 + c.migrations().size());
    }

    @Test
    void recordShowsTheLocksRowsAndTimeOfEachMigration(TestDatabase db, @TempDir Path dir) throws IOException {
        Case c = new Case("record", List.of(LOCK_TIMEOUT + "CREATE INDEX accounts_email_idx ON accounts (email);\n"
                + "ALTER TABLE accounts ADD CONSTRAINT amount_positive CHECK (amount >= 0) NOT VALID;",
                "CREATE INDEX CONCURRENTLY ledger_id_account_idx ON ledger (id, account_id);"), Set.of(), List.of());
        MigratedDatabase migrated = MigrationAssertions.forLocations(locations(dir, c)).schemas("rec").on(db.dataSource());

        assertThat(migrated.records()).extracting(MigrationRecord::script)
                .containsExactly("V1__existing_tables.sql", "V2__change.sql", "V3__change.sql");
        MigrationRecord v2 = migrated.records().get(1);
        assertThat(v2.transactional()).isTrue();
        assertThat(v2.statements()).hasSize(3).allMatch(MigrationRecord.Statement::locksSeen);
        assertThat(v2.tables()).singleElement().satisfies(t -> {
            assertThat(t.table()).isEqualTo("rec.accounts");
            assertThat(t.locks()).contains("SHARE", "ACCESS EXCLUSIVE");
            assertThat(t.strongest()).isEqualTo("ACCESS EXCLUSIVE");
            assertThat(t.firstStatement()).isEqualTo(2);
            assertThat(t.rowsScanned()).isEqualTo(2000);
            assertThat(t.held()).isPositive();
            assertThat(t.rewritten()).isFalse();
        });
        MigrationRecord v3 = migrated.records().get(2);
        assertThat(v3.transactional()).isFalse();
        assertThat(v3.statements()).singleElement().satisfies(s -> assertThat(s.locksSeen()).isFalse());
        assertThat(migrated.records().get(0).tables()).as("tables created by the migration itself are exempt").isEmpty();
    }

    @Test
    void concurrentlyMixedIntoATransactionalMigrationIsExplained(TestDatabase db, @TempDir Path dir) throws IOException {
        Case c = new Case("mixed", List.of(LOCK_TIMEOUT + "ALTER TABLE accounts ADD COLUMN note text;\n"
                + "CREATE INDEX CONCURRENTLY accounts_note_idx ON accounts (note);"), Set.of(), List.of());
        MigratedDatabase migrated = MigrationAssertions.forLocations(locations(dir, c)).schemas("mixed").on(db.dataSource());

        assertThatThrownBy(migrated::appliesCleanly).isInstanceOf(AssertionError.class)
                .hasMessageContaining("V2__change.sql failed on an empty database after 1 migrations applied")
                .hasMessageContaining("move the CONCURRENTLY statements to a migration of their own")
                .hasMessageContaining("executeInTransaction=false");
    }

    @Test
    void concurrentlyForcedIntoATransactionIsExplained(TestDatabase db, @TempDir Path dir) throws IOException {
        Case c = new Case("forced", List.of("CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);"), Set.of(),
                List.of());
        String location = locations(dir, c);
        Files.writeString(dir.resolve("V2__change.sql.conf"), "executeInTransaction=true\n");
        MigratedDatabase migrated = MigrationAssertions.forLocations(location).schemas("forced").on(db.dataSource());

        assertThatThrownBy(migrated::appliesCleanly).isInstanceOf(AssertionError.class)
                .hasMessageContaining("V2__change.sql runs a statement PostgreSQL refuses inside a transaction"
                        + " (CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email))")
                .hasMessageContaining("executeInTransaction=false");
    }

    @Test
    void productionSizesTurnFindingsOnSmallTablesIntoWarningsThatStateTheSize(TestDatabase db, @TempDir Path dir)
            throws Exception {
        db.execute("CREATE SCHEMA prod; CREATE TABLE prod.accounts (id bigint PRIMARY KEY, email text);"
                + " CREATE TABLE prod.ledger (id bigint PRIMARY KEY, account_id bigint);"
                + " INSERT INTO prod.accounts SELECT g, 'u' || g FROM generate_series(1, 300) AS g;"
                + " INSERT INTO prod.ledger SELECT g, g FROM generate_series(1, 50000) AS g; ANALYZE prod.accounts;"
                + " ANALYZE prod.ledger");
        Path file = dir.resolve("sizes.json");
        try (java.sql.Connection c = db.dataSource().getConnection()) {
            TableSizes.read(c).write(file);
        }
        TableSizes loaded = TableSizes.load(file);
        assertThat(loaded.rows()).containsEntry("prod.accounts", 300L).containsEntry("prod.ledger", 50000L);
        // production has one accounts table; this test database holds one per corpus case
        TableSizes sizes = new TableSizes(loaded.rows().entrySet().stream().filter(e -> e.getKey().startsWith("prod."))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));

        Case c = new Case("sized", List.of(LOCK_TIMEOUT + "CREATE INDEX accounts_email_idx ON accounts (email);\n"
                + "CREATE INDEX ledger_account_idx ON ledger (account_id);\n"
                + "ALTER TABLE accounts ADD COLUMN note text;"), Set.of(), List.of());
        Path migrations = Files.createDirectories(dir.resolve("migrations"));
        MigratedDatabase migrated = MigrationAssertions.forLocations(locations(migrations, c)).schemas("sized")
                .productionSizes(sizes, 10_000).on(db.dataSource());

        assertThat(migrated.warnings()).singleElement().satisfies(w -> {
            assertThat(w.rule()).isEqualTo(MigrationRule.INDEX_CONCURRENTLY);
            assertThat(w.message()).contains("builds index sized.accounts_email_idx")
                    .contains("In production the table holds about 300 rows, under the 10000-row threshold: a warning");
        });
        assertThat(migrated.violations()).singleElement().satisfies(v -> {
            assertThat(v.rule()).isEqualTo(MigrationRule.INDEX_CONCURRENTLY);
            assertThat(v.message()).contains("builds index sized.ledger_account_idx")
                    .contains("In production the table holds about 50000 rows.");
        });
    }

    /** Writes V1 (the existing tables with rows) and the case's migrations as V2, V3... into a directory. */
    static String locations(Path dir, Case c) throws IOException {
        Files.writeString(dir.resolve("V1__existing_tables.sql"), BASE);
        int version = 2;
        for (String sql : c.migrations()) {
            Files.writeString(dir.resolve("V" + version++ + "__change.sql"), sql);
        }
        if (c.name().equals("create_index_non_transactional") || c.name().equals("reindex_concurrently")) {
            // Flyway sees CREATE/DROP INDEX CONCURRENTLY, not REINDEX CONCURRENTLY: that one needs the script config
            Files.writeString(dir.resolve("V2__change.sql.conf"), "executeInTransaction=false\n");
        }
        return "filesystem:" + dir.toAbsolutePath();
    }
}
