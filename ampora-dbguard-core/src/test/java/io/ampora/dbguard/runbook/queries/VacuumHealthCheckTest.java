package io.ampora.dbguard.runbook.queries;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.GuardOptions;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.runbook.locks.LockScenario;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import org.junit.jupiter.api.Test;

@WithPostgres
class VacuumHealthCheckTest {

    @Test
    void reportsTableWhoseDeadTuplesExceedTheAutovacuumThreshold(TestDatabase db) throws Exception {
        // autovacuum off for this table, so the dead tuples stay until the check has seen them
        db.execute("""
                CREATE TABLE bloated (id int PRIMARY KEY, note text) WITH (autovacuum_enabled = false);
                INSERT INTO bloated SELECT g, 'note ' || g FROM generate_series(1, 10000) g;
                """);
        db.execute("VACUUM ANALYZE bloated");
        db.execute("DELETE FROM bloated WHERE id <= 6000");
        Checks.await("dead tuples in pg_stat_user_tables", () ->
                Long.parseLong(db.queryString("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'bloated'")) >= 6000);

        CheckResult result = Checks.run(db.dataSource(), new VacuumHealthCheck());

        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        assertThat(Checks.withDetail(result, "table", "public.bloated")).singleElement().satisfies(f -> {
            assertThat(f.details()).containsEntry("deadTuples", 6000L)
                    .containsEntry("deadTupleThreshold", 2050L)
                    .containsEntry("autovacuumEnabled", false)
                    .containsEntry("fix", "VACUUM (ANALYZE) public.bloated;");
            assertThat(f.message()).contains("6000 dead tuples", "Autovacuum is disabled");
        });
        assertThat(result.remediation()).contains("VACUUM (ANALYZE) public.bloated;");

        db.execute("VACUUM (ANALYZE) public.bloated");
        Checks.await("vacuum in pg_stat_user_tables", () ->
                "0".equals(db.queryString("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'bloated'")));

        assertThat(Checks.withDetail(Checks.run(db.dataSource(), new VacuumHealthCheck()), "table", "public.bloated")).isEmpty();
    }

    @Test
    void namesTheOpenTransactionThatKeepsVacuumFromRemovingTheDeadTuples(TestDatabase db) throws Exception {
        createVacuumedTable(db, "churned");
        try (LockScenario scenario = new LockScenario(db)) {
            int holder = scenario.hold("psql", "SELECT pg_catalog.txid_current()");
            deleteAndVacuum(db, "churned"); // the VACUUM removes nothing: the open transaction may still see those rows

            CheckResult result = Checks.run(db.dataSource(), new VacuumHealthCheck());

            assertThat(result.status()).isEqualTo(CheckStatus.WARN);
            String who = "pid " + holder + " (psql, user postgres, idle in transaction)";
            assertThat(Checks.withDetail(result, "table", "public.churned")).singleElement().satisfies(f -> {
                assertThat(f.details()).containsEntry("deadTuples", 6000L).containsEntry("heldBackBy", who)
                        .containsEntry("fix", "SELECT pg_catalog.pg_terminate_backend(" + holder + "); then VACUUM"
                                + " (ANALYZE) public.churned;");
                assertThat(f.message()).contains("Vacuum cannot remove them while " + who + " lasts",
                        "the last vacuum ran after that");
            });
            assertThat(result.summary()).contains(who + " keeps vacuum from removing their dead tuples");
            assertThat(result.remediation()).startsWith("End " + who + " first: SELECT pg_catalog.pg_terminate_backend("
                    + holder + ")").doesNotContain("Autovacuum is on but behind");
        }
        // the holder gone, the same VACUUM removes them
        db.execute("VACUUM (ANALYZE) churned");
        Checks.await("the vacuum in pg_stat_user_tables", () ->
                "0".equals(db.queryString("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'churned'")));
        assertThat(Checks.withDetail(Checks.run(db.dataSource(), new VacuumHealthCheck()), "table", "public.churned")).isEmpty();
    }

    @Test
    void leavesTheGuardsOwnSessionsOutOfWhatHoldsTheHorizon(TestDatabase db) throws Exception {
        // another check of the same report, its snapshot taken before an autovacuum of the table
        createVacuumedTable(db, "audited");
        try (LockScenario scenario = new LockScenario(db)) {
            scenario.hold(GuardOptions.GUARD_APPLICATION_NAME, "SELECT pg_catalog.txid_current()");
            deleteAndVacuum(db, "audited");

            CheckResult result = Checks.run(db.dataSource(), new VacuumHealthCheck());

            assertThat(Checks.withDetail(result, "table", "public.audited")).singleElement().satisfies(f -> {
                assertThat(f.details()).containsEntry("heldBackBy", null).containsEntry("mayBeHeldBackBy", null)
                        .containsEntry("fix", "VACUUM (ANALYZE) public.audited;");
                assertThat(f.message()).doesNotContain(GuardOptions.GUARD_APPLICATION_NAME);
            });
        }
    }

    @Test
    void reportsChangedTableThatWasNeverAnalyzedWithAWeirdName(TestDatabase db) throws Exception {
        db.execute("""
                CREATE SCHEMA "Vac Schema";
                CREATE TABLE "Vac Schema"."Never ""Analyzed""\" (id int) WITH (autovacuum_enabled = false);
                INSERT INTO "Vac Schema"."Never ""Analyzed""\" SELECT generate_series(1, 1000);
                """);
        Checks.await("inserts in pg_stat_user_tables", () -> "1000".equals(db.queryString(
                "SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE schemaname = 'Vac Schema'")));

        CheckResult result = Checks.run(db.dataSource(), new VacuumHealthCheck());

        String table = "\"Vac Schema\".\"Never \"\"Analyzed\"\"\"";
        assertThat(Checks.withDetail(result, "table", table)).singleElement().satisfies(f -> {
            assertThat(f.message()).contains("1000 rows changed but the table was never analyzed");
            assertThat(f.details()).containsEntry("fix", "VACUUM (ANALYZE) " + table + ";");
        });
    }

    @Test
    void passesOnAFreshlyVacuumedDatabase(TestDatabase db) throws Exception {
        try (TestDatabase fresh = TestDatabase.create(db.server(), VacuumHealthCheckTest.class)) {
            fresh.execute("""
                    CREATE TABLE tidy (id int PRIMARY KEY);
                    INSERT INTO tidy SELECT generate_series(1, 1000);
                    """);
            fresh.execute("VACUUM ANALYZE tidy");
            Checks.await("analyze in pg_stat_user_tables", () -> "1".equals(fresh.queryString(
                    "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'tidy' AND last_analyze IS NOT NULL")));

            CheckResult result = Checks.run(fresh.dataSource(), new VacuumHealthCheck());

            assertThat(result.status()).isEqualTo(CheckStatus.PASS);
            assertThat(result.findings()).isEmpty();
        }
    }

    /** A table of 10,000 rows, vacuumed and analyzed: nothing dead yet. */
    private static void createVacuumedTable(TestDatabase db, String table) throws Exception {
        db.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, note text);"
                + " INSERT INTO " + table + " SELECT g, 'note ' || g FROM generate_series(1, 10000) g");
        db.execute("VACUUM ANALYZE " + table);
    }

    /** Deletes 6,000 rows, vacuums, and waits until the statistics show the vacuum and the dead tuples it left. */
    private static void deleteAndVacuum(TestDatabase db, String table) throws Exception {
        db.execute("DELETE FROM " + table + " WHERE id <= 6000");
        db.execute("VACUUM " + table);
        Checks.await("the vacuum and its dead tuples in pg_stat_user_tables", () -> "t".equals(db.queryString(
                "SELECT n_dead_tup >= 6000 AND last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE relname = '"
                        + table + "'")));
    }
}
