package io.ampora.dbguard.flyway.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.flyway.FlywayGuard;
import io.ampora.dbguard.flyway.SchemaSnapshot;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.sql.Connection;
import java.util.List;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Flyway checks on scenarios built for real; each test migrates into a schema of its own, so the
 * history tables do not meet.
 */
@WithPostgres
class FlywayChecksTest {

    static final String V2 = "classpath:db/flyway/v2";
    static final String V3 = "classpath:db/flyway/v3";

    static void migrate(DataSource ds, String schema, String location) {
        // the demo's CREATE INDEX CONCURRENTLY would wait for Flyway's own transaction-level lock otherwise
        org.flywaydb.core.api.configuration.FluentConfiguration fc = Flyway.configure().dataSource(ds).schemas(schema)
                .locations(location);
        fc.getPluginRegister().getPlugin(org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension.class)
                .setTransactionalLock(false);
        fc.load().migrate();
    }

    static Report run(DataSource ds, FlywayGuard guard) {
        return DbGuard.builder().dataSource(ds).checks(guard.checks()).build().report();
    }

    static CheckResult result(Report report, String id) {
        return report.result(id).orElseThrow();
    }

    @Test
    void schemaVersionFailsWhenDatabaseHoldsMigrationsNewerThanTheCode(TestDatabase db) {
        migrate(db.dataSource(), "restored_newer", V3);

        Report report = run(db.dataSource(), FlywayGuard.custom().locations(V2).schemas("restored_newer").build());

        CheckResult r = result(report, "schema-version");
        assertThat(r.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(r.summary()).contains("version 3").contains("up to 2").contains("cannot read the newer schema");
        assertThat(r.findings()).singleElement().satisfies(f -> {
            assertThat(f.details()).containsEntry("version", "3").containsEntry("script", "V3__add_order_note.sql")
                    .containsEntry("state", "FUTURE_SUCCESS").containsEntry("databaseNewest", "3")
                    .containsEntry("codeNewest", "2");
        });
        assertThat(r.remediation()).contains("upgrade the binary").contains("restore an older dump");
    }

    @Test
    void schemaVersionCountsPendingMigrationsOfAnOlderDatabaseAndWarnsWhenNoneExpected(TestDatabase db) {
        migrate(db.dataSource(), "restored_older", V2);

        CheckResult relaxed = result(run(db.dataSource(),
                FlywayGuard.custom().locations(V3).schemas("restored_older").build()), "schema-version");
        CheckResult strict = result(run(db.dataSource(),
                FlywayGuard.custom().locations(V3).schemas("restored_older").expectNoPending(true).build()), "schema-version");

        assertThat(relaxed.status()).isEqualTo(CheckStatus.PASS);
        assertThat(relaxed.summary()).contains("1 pending migrations will apply at startup").contains("version 2");
        assertThat(relaxed.findings()).singleElement().extracting(f -> f.details().get("script"))
                .isEqualTo("V3__add_order_note.sql");
        assertThat(strict.status()).isEqualTo(CheckStatus.WARN);
    }

    @Test
    void emptyDatabaseIsReportedAndReadingItCreatesNothing(TestDatabase db) throws Exception {
        Report report = run(db.dataSource(), FlywayGuard.custom().locations(V3).schemas("never_migrated").build());

        CheckResult r = result(report, "schema-version");
        assertThat(r.status()).isEqualTo(CheckStatus.PASS);
        assertThat(r.summary()).contains("Empty database").contains("3 migrations will apply");
        assertThat(result(report, "migration-state").status()).isEqualTo(CheckStatus.SKIP);
        assertThat(result(run(db.dataSource(), FlywayGuard.custom().locations(V3).schemas("never_migrated")
                .expectNoPending(true).build()), "schema-version").status()).isEqualTo(CheckStatus.WARN);
        // Flyway.info() ran on the read-only session: no schema, no history table appeared.
        assertThat(db.queryString("SELECT count(*) FROM pg_namespace WHERE nspname = 'never_migrated'")).isEqualTo("0");
    }

    @Test
    void migrationStateReportsAFailedMigrationRow(TestDatabase db) throws Exception {
        try {
            migrate(db.dataSource(), "half_done", "classpath:db/flyway/broken");
        } catch (FlywayException expected) {
            // CREATE INDEX CONCURRENTLY on a missing column fails outside a transaction
        }
        // With postgresql.transactional.lock=false (needed for CONCURRENTLY) Flyway 13 records the failure as a
        // success = false row (measured); with its default transactional lock the row is rolled back with the lock.
        assertThat(db.queryString("SELECT count(*) FROM half_done.flyway_schema_history WHERE NOT success")).isEqualTo("1");

        CheckResult r = result(run(db.dataSource(),
                FlywayGuard.custom().locations("classpath:db/flyway/broken").schemas("half_done").build()), "migration-state");

        assertThat(r.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(r.findings()).singleElement().satisfies(f -> {
            assertThat(f.message()).contains("Version 2").contains("V2__index_concurrently.sql").contains("failed");
            assertThat(f.details()).containsEntry("state", "FAILED").containsEntry("version", "2");
        });
        assertThat(r.remediation()).contains("flyway repair");
    }

    @Test
    void migrationStateReportsAnAppliedScriptEditedAfterwards(TestDatabase db) {
        migrate(db.dataSource(), "edited", V2);

        CheckResult r = result(run(db.dataSource(),
                FlywayGuard.custom().locations("classpath:db/flyway/edited").schemas("edited").build()), "migration-state");

        assertThat(r.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(r.findings()).singleElement().satisfies(f -> {
            assertThat(f.message()).contains("V2__create_orders.sql").contains("edited after it was applied");
            assertThat(f.details().get("appliedChecksum")).isNotNull().isNotEqualTo(f.details().get("resolvedChecksum"));
        });
        assertThat(r.remediation()).contains("restore V2__create_orders.sql");
    }

    @Test
    void migrationPermissionsGivesTheGrantToARoleWithoutCreateOnPublic(TestDatabase db) throws Exception {
        String role = "app_" + db.name();
        db.createRole(role, "secret", "");
        // PostgreSQL 15+ does this by default; older servers still grant CREATE on public to PUBLIC.
        db.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
        FlywayGuard guard = FlywayGuard.custom().locations(V3).build();

        CheckResult r = result(run(db.dataSource(role, "secret"), guard), "migration-permissions");

        assertThat(r.status()).isEqualTo(CheckStatus.FAIL);
        String grant = "GRANT USAGE, CREATE ON SCHEMA public TO " + role;
        assertThat(r.findings()).singleElement().satisfies(f -> {
            assertThat(f.message()).contains("lacks CREATE on schema public").contains("permission denied for schema public");
            assertThat(f.details()).containsEntry("grant", grant).containsEntry("role", role);
        });
        assertThat(r.remediation()).contains(grant + ";");

        db.execute(grant);
        assertThat(result(run(db.dataSource(role, "secret"), guard), "migration-permissions").status())
                .isEqualTo(CheckStatus.PASS);
    }

    @Test
    void migrationPermissionsQuotesOddSchemaNamesAndFlagsTablesOwnedByOthers(TestDatabase db) throws Exception {
        String role = "mig_" + db.name();
        db.createRole(role, "secret", "");
        db.execute("CREATE SCHEMA \"My Schema\"; CREATE TABLE \"My Schema\".\"Order \"\"Items\"\"\" (id int);"
                + " GRANT USAGE, CREATE ON SCHEMA \"My Schema\" TO " + role);
        FlywayGuard guard = FlywayGuard.custom().locations(V3).schemas("My Schema", "not yet").migrationRole(role).build();

        CheckResult r = result(run(db.dataSource(), guard), "migration-permissions");

        assertThat(r.findings()).map(Finding::message).anySatisfy(m -> assertThat(m)
                .contains("\"My Schema\".\"Order \"\"Items\"\"\" (owner "));
        assertThat(r.remediation()).contains("ALTER TABLE \"My Schema\".\"Order \"\"Items\"\"\" OWNER TO " + role + ";")
                .contains("GRANT CREATE ON DATABASE " + db.name() + " TO " + role + ";");
        assertThat(r.status()).isEqualTo(CheckStatus.FAIL);
    }

    @Test
    void migrationLockNamesTheSessionHoldingFlywaysAdvisoryLock(TestDatabase db) throws Exception {
        Connection holder = db.openSession();
        try (var st = holder.createStatement()) {
            st.execute("SET application_name = 'crashed-migrator'");
            st.execute("SELECT pg_advisory_lock(77433833903597)");
        }
        int pid = Integer.parseInt(queryOne(holder, "SELECT pg_backend_pid()"));

        CheckResult held = result(run(db.dataSource(), FlywayGuard.ofLocations(V3)), "migration-lock");
        DbGuard strict = DbGuard.builder().dataSource(db.dataSource()).checks(FlywayGuard.ofLocations(V3).checks())
                .set("migration-lock.failAfter", "1ms").build();
        Thread.sleep(20);
        CheckResult stuck = strict.report().result("migration-lock").orElseThrow();
        try (var st = holder.createStatement()) {
            st.execute("SELECT pg_advisory_unlock_all()");
        }
        CheckResult released = result(run(db.dataSource(), FlywayGuard.ofLocations(V3)), "migration-lock");

        assertThat(held.status()).isEqualTo(CheckStatus.WARN);
        assertThat(held.findings()).singleElement().satisfies(f -> {
            assertThat(f.details()).containsEntry("pid", pid).containsEntry("applicationName", "crashed-migrator")
                    .containsEntry("state", "idle").containsEntry("lockKey", 77433833903597L);
            assertThat(f.message()).contains("pid " + pid + " (crashed-migrator");
        });
        assertThat(stuck.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(stuck.findings()).singleElement().extracting(Finding::message).asString()
                .contains("crashed or stuck migrator").contains("pg_terminate_backend(" + pid + ")");
        assertThat(released.status()).isEqualTo(CheckStatus.PASS);
    }

    @Test
    void migrationLockFindsARealFlywayMigrationHoldingItsLock(TestDatabase db) throws Exception {
        db.execute("CREATE SCHEMA gatekeeper; CREATE TABLE gatekeeper.gate (id int)");
        Connection gate = db.openSession();
        gate.setAutoCommit(false);
        try (var st = gate.createStatement()) {
            st.execute("LOCK TABLE gatekeeper.gate IN ACCESS EXCLUSIVE MODE");
        }
        Thread migrator = new Thread(() -> Flyway.configure().dataSource(db.dataSource()).schemas("blocked")
                .locations("classpath:db/flyway/gated").load().migrate());
        migrator.start();
        try {
            DbGuard guard = DbGuard.builder().dataSource(db.dataSource())
                    .checks(FlywayGuard.custom().locations("classpath:db/flyway/gated").schemas("blocked").build().checks())
                    .set("migration-lock.failAfter", "1ms").build();
            // wait for the steady state: the history connection idle in its transaction and the migration blocked
            // on the gate (a report taken while Flyway is still on its way there may see the holder active alone)
            CheckResult r = Await.value("the migration blocked on the gate", Duration.ofSeconds(10),
                    () -> guard.report().result("migration-lock").orElseThrow(),
                    x -> x.status() != CheckStatus.PASS && x.findings().size() == 1
                            && x.findings().get(0).details().get("migrationPid") != null);
            // The key this module computes is the one Flyway really takes. Flyway holds it on its history
            // connection ("idle in transaction") and migrates on another: that is no stuck migrator, even
            // with failAfter at 1ms.
            assertThat(r.status()).isEqualTo(CheckStatus.WARN);
            assertThat(r.findings()).singleElement().satisfies(f -> {
                assertThat(f.details()).containsEntry("lockKey",
                        io.ampora.dbguard.flyway.internal.FlywayReader.lockKey("blocked", "flyway_schema_history"));
                assertThat(f.details().get("migrationPid")).isNotNull();
                assertThat(f.details().get("migrationQuery")).asString().contains("gatekeeper.gate");
                assertThat(f.message()).contains("a migration in progress");
            });
        } finally {
            gate.rollback();
            migrator.join(30_000);
        }
    }

    @Test
    void schemaDriftListsATableAddedAndAColumnChangedByHand(TestDatabase db, @TempDir Path dir) throws Exception {
        migrate(db.dataSource(), "drifted", V3);
        Path snapshot = dir.resolve("schema.json");
        try (Connection c = db.dataSource().getConnection()) {
            SchemaSnapshot.read(c, List.of("drifted"), "flyway_schema_history").write(snapshot);
        }
        FlywayGuard guard = FlywayGuard.custom().locations(V3).schemas("drifted").schemaSnapshot(snapshot).build();
        assertThat(result(run(db.dataSource(), guard), "schema-drift").status()).isEqualTo(CheckStatus.PASS);

        db.execute("CREATE TABLE drifted.orders_backup (id bigint); ALTER TABLE drifted.orders ALTER COLUMN note TYPE varchar(200)");
        CheckResult r = result(run(db.dataSource(), guard), "schema-drift");

        assertThat(r.status()).isEqualTo(CheckStatus.WARN);
        assertThat(r.findings()).map(Finding::message)
                .contains("Added table drifted.orders_backup.")
                .contains("Changed column drifted.orders.note: type text -> character varying(200).");
    }

    @Test
    void healthyMigratedDatabasePassesOrSkipsEveryCheck(TestDatabase db, @TempDir Path dir) throws Exception {
        migrate(db.dataSource(), "healthy", V3);
        Path snapshot = dir.resolve("schema.json");
        try (Connection c = db.dataSource().getConnection()) {
            SchemaSnapshot.read(c, List.of("healthy"), "flyway_schema_history").write(snapshot);
        }
        FlywayGuard withSnapshot = FlywayGuard.custom().locations(V3).schemas("healthy").schemaSnapshot(snapshot).build();
        FlywayGuard without = FlywayGuard.custom().locations(V3).schemas("healthy").build();

        Report report = run(db.dataSource(), withSnapshot);

        assertThat(report.checks()).hasSize(5).allSatisfy(r -> assertThat(r.status())
                .as(r.checkId() + ": " + r.summary()).isEqualTo(CheckStatus.PASS));
        assertThat(result(report, "schema-version").summary()).contains("version 3");
        assertThat(result(run(db.dataSource(), without), "schema-drift").status()).isEqualTo(CheckStatus.SKIP);
    }

    private static String queryOne(Connection c, String sql) throws Exception {
        try (var st = c.createStatement(); var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void schemaDriftReadsASnapshotShippedOnTheClasspath(TestDatabase db) throws Exception {
        migrate(db.dataSource(), "demo", "classpath:db/demo/safe");
        FlywayGuard guard = FlywayGuard.custom().locations("classpath:db/demo/safe").schemas("demo")
                .schemaSnapshotResource("db/demo/safe-schema.json").build();
        assertThat(result(run(db.dataSource(), guard), "schema-drift").status()).isEqualTo(CheckStatus.PASS);

        db.execute("DROP INDEX demo.order_notes_order_id_idx");
        CheckResult r = result(run(db.dataSource(), guard), "schema-drift");

        assertThat(r.status()).isEqualTo(CheckStatus.WARN);
        assertThat(r.summary()).contains("safe-schema.json");
        assertThat(r.findings()).map(Finding::message).containsExactly("Removed index demo.order_notes_order_id_idx.");
    }

    @Test
    void migrationStateReportsAnAppliedMigrationMissingFromTheCodeAndALateLowerVersion(TestDatabase db) {
        migrate(db.dataSource(), "gaps", V3);

        CheckResult missing = result(run(db.dataSource(),
                FlywayGuard.custom().locations("classpath:db/flyway/missing").schemas("gaps").build()), "migration-state");
        CheckResult late = result(run(db.dataSource(),
                FlywayGuard.custom().locations("classpath:db/flyway/late").schemas("gaps").build()), "migration-state");

        assertThat(missing.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(missing.findings()).singleElement().satisfies(f -> {
            assertThat(f.message()).contains("Version 2 (V2__create_orders.sql) is applied in the database but missing");
            assertThat(f.details()).containsEntry("state", "MISSING_SUCCESS");
        });
        assertThat(missing.remediation()).contains("restore V2__create_orders.sql");
        assertThat(late.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(late.findings()).singleElement().satisfies(f -> {
            assertThat(f.message()).contains("Version 2.1 (V2_1__late_arrival.sql)").contains("older than the database's newest version 3");
            assertThat(f.details()).containsEntry("state", "IGNORED");
        });
        assertThat(late.remediation()).contains("outOfOrder=true");
    }

    @Test
    void migrationLockSaysWhenTheHoldersStateIsHiddenFromAnUnprivilegedRole(TestDatabase db) throws Exception {
        String role = "watcher_" + db.name();
        db.createRole(role, "secret", "");
        Connection holder = db.openSession();
        try (var st = holder.createStatement()) {
            st.execute("SET application_name = 'other-pod'");
            st.execute("SELECT pg_advisory_lock(77433833903597)");
        }
        try {
            CheckResult r = result(run(db.dataSource(role, "secret"), FlywayGuard.ofLocations(V3)), "migration-lock");

            assertThat(r.status()).isEqualTo(CheckStatus.WARN);
            assertThat(r.findings()).singleElement().satisfies(f -> {
                assertThat(f.message()).contains("other-pod").contains("hidden").contains("pg_read_all_stats");
                assertThat(f.details().get("state")).isNull();
            });
        } finally {
            try (var st = holder.createStatement()) {
                st.execute("SELECT pg_advisory_unlock_all()");
            }
        }
    }
}
