package io.ampora.dbguard.runbook.bloat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The estimate against pgstattuple's exact figures. The truth for a table is the share of its pages a
 * compact copy at the table's fillfactor would not need: {@code free_percent + dead_tuple_percent} at
 * fillfactor 100, and {@code 100 - (100 - free - dead) * 100 / fillfactor} in general (so a fillfactor 70
 * table's reserved 30 % is not bloat, as VACUUM FULL would keep it too). Within 10 points.
 */
@WithPostgres
class TableBloatCheckTest {

    @BeforeAll
    static void pgstattuple(TestDatabase db) throws Exception {
        db.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple");
    }

    @Test
    void freshLoadIsNotReportedAndTheEstimateMatchesPgstattuple(TestDatabase db) throws Exception {
        Scripts.run(db, """
                CREATE TABLE fresh_load (id bigint PRIMARY KEY, n int, note text);
                INSERT INTO fresh_load SELECT g, g % 1000, 'note number ' || g FROM generate_series(1, 100000) g;
                VACUUM ANALYZE fresh_load;
                """);

        double estimate = assertWithinTenPoints(db, "fresh_load", 100);

        assertThat(estimate).as("no false alarm").isLessThan(10);
        assertThat(Checks.withDetail(Checks.run(db.dataSource(), new TableBloatCheck(), "minReclaimableBytes", "0"),
                "relation", "public.fresh_load")).isEmpty();
    }

    @Test
    void tableOfTenMegabytesWithHalfItsRowsDeletedAndVacuumedWarnsWithTheFix(TestDatabase db) throws Exception {
        Scripts.run(db, """
                CREATE TABLE half_deleted (id bigint PRIMARY KEY, n int, note text);
                INSERT INTO half_deleted SELECT g, g % 1000, 'a note of some forty characters, row ' || g
                FROM generate_series(1, 200000) g;
                DELETE FROM half_deleted WHERE id % 2 = 0;
                VACUUM ANALYZE half_deleted;
                """);
        assertThat(Long.parseLong(db.queryString("SELECT pg_relation_size('half_deleted')"))).isGreaterThan(10L << 20);

        double estimate = assertWithinTenPoints(db, "half_deleted", 100);
        assertThat(estimate).isBetween(40.0, 60.0);

        CheckResult result = Checks.run(db.dataSource(), new TableBloatCheck());
        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        Finding f = Checks.withDetail(result, "relation", "public.half_deleted").get(0);
        assertThat((Long) f.details().get("reclaimableBytes")).isGreaterThan(4L << 20);
        assertThat(f.details()).containsKeys("sizeBytes", "size", "statisticsAge", "lastAnalyze")
                .containsEntry("statistics", "fresh")
                .containsEntry("fix", "VACUUM FULL public.half_deleted;");
        assertThat(f.message()).contains("pg_repack --table=public.half_deleted", "ACCESS EXCLUSIVE");
        assertThat(result.remediation()).contains("VACUUM FULL public.half_deleted;");

        Scripts.run(db, "VACUUM FULL half_deleted;\nANALYZE half_deleted");
        assertThat(Checks.withDetail(Checks.run(db.dataSource(), new TableBloatCheck()), "relation", "public.half_deleted"))
                .as("gone after the fix").isEmpty();
    }

    @Test
    void ninetyPercentDeletedAndVacuumed(TestDatabase db) throws Exception {
        Scripts.run(db, """
                CREATE TABLE mostly_deleted (id bigint PRIMARY KEY, created timestamptz, note text);
                INSERT INTO mostly_deleted SELECT g, now(), md5(g::text) FROM generate_series(1, 100000) g;
                DELETE FROM mostly_deleted WHERE id % 10 <> 0;
                VACUUM ANALYZE mostly_deleted;
                """);

        assertThat(assertWithinTenPoints(db, "mostly_deleted", 100)).isGreaterThan(80);
    }

    @Test
    void wideRowsWithToastedValues(TestDatabase db) throws Exception {
        // random hex does not compress: each body (3,200 bytes) goes out of line, 18 bytes stay in the heap
        Scripts.run(db, """
                CREATE TABLE wide_rows (id bigint PRIMARY KEY, title text, body text);
                INSERT INTO wide_rows SELECT g, 'title ' || g,
                       (SELECT string_agg(md5(random()::text || g || s), '') FROM generate_series(1, 100) s)
                FROM generate_series(1, 20000) g;
                DELETE FROM wide_rows WHERE id % 2 = 0;
                VACUUM ANALYZE wide_rows;
                """);
        assertThat(Long.parseLong(db.queryString("SELECT pg_relation_size(reltoastrelid) FROM pg_class"
                + " WHERE relname = 'wide_rows'"))).as("values were TOASTed").isGreaterThan(10L << 20);

        assertThat(assertWithinTenPoints(db, "wide_rows", 100)).isBetween(35.0, 65.0);
    }

    @Test
    void fillfactorSeventyIsNotBloatButDeletesBeyondItAre(TestDatabase db) throws Exception {
        Scripts.run(db, """
                CREATE TABLE ff_fresh (id bigint PRIMARY KEY, n int, note text) WITH (fillfactor = 70);
                INSERT INTO ff_fresh SELECT g, g, 'row ' || g FROM generate_series(1, 100000) g;
                VACUUM ANALYZE ff_fresh;
                CREATE TABLE ff_deleted (id bigint PRIMARY KEY, n int, note text) WITH (fillfactor = 70);
                INSERT INTO ff_deleted SELECT g, g, 'row ' || g FROM generate_series(1, 100000) g;
                DELETE FROM ff_deleted WHERE id % 2 = 0;
                VACUUM ANALYZE ff_deleted;
                """);
        assertThat(Double.parseDouble(db.queryString("SELECT free_percent FROM pgstattuple('ff_fresh')")))
                .as("pgstattuple counts the fillfactor reserve as free").isGreaterThan(25);

        assertThat(assertWithinTenPoints(db, "ff_fresh", 70)).as("no false alarm").isLessThan(10);
        assertThat(assertWithinTenPoints(db, "ff_deleted", 70)).isBetween(40.0, 60.0);
    }

    @Test
    void nullHeavyColumns(TestDatabase db) throws Exception {
        Scripts.run(db, """
                CREATE TABLE sparse (id bigint PRIMARY KEY, a text, b text, c bigint, d text, e timestamptz);
                INSERT INTO sparse SELECT g,
                       CASE WHEN g % 10 = 0 THEN 'value a ' || g END,
                       CASE WHEN g % 5 = 0 THEN 'value b ' || g END,
                       CASE WHEN g % 10 = 0 THEN g END,
                       CASE WHEN g % 20 = 0 THEN repeat('d', 50) END,
                       CASE WHEN g % 3 = 0 THEN now() END
                FROM generate_series(1, 100000) g;
                CREATE TABLE sparse_deleted AS SELECT * FROM sparse;
                DELETE FROM sparse_deleted WHERE id % 3 <> 0;
                VACUUM ANALYZE sparse, sparse_deleted;
                """);

        assertThat(assertWithinTenPoints(db, "sparse", 100)).isLessThan(10);
        assertThat(assertWithinTenPoints(db, "sparse_deleted", 100)).isBetween(55.0, 75.0);
    }

    @Test
    void neverAnalyzedTableIsNamedAsUnknownNotGuessed(TestDatabase db) throws Exception {
        try (TestDatabase own = TestDatabase.create(db.server(), TableBloatCheckTest.class)) {
            Scripts.run(own, """
                    CREATE SCHEMA "Bloat Schema";
                    CREATE TABLE "Bloat Schema"."Never ""Analyzed""\" (id bigint, note text) WITH (autovacuum_enabled = false);
                    INSERT INTO "Bloat Schema"."Never ""Analyzed""\" SELECT g, 'row ' || g FROM generate_series(1, 100000) g;
                    CHECKPOINT;
                    """);
            // relpages comes from VACUUM without ANALYZE: the size is known, the widths are not
            own.execute("VACUUM \"Bloat Schema\".\"Never \"\"Analyzed\"\"\"");

            CheckResult result = Checks.run(own.dataSource(), new TableBloatCheck(), "minReclaimableBytes", "1MB");

            String table = "\"Bloat Schema\".\"Never \"\"Analyzed\"\"\"";
            assertThat(result.status()).isEqualTo(CheckStatus.UNKNOWN);
            assertThat(Checks.withDetail(result, "relation", table)).singleElement().satisfies(f -> {
                assertThat(f.details()).containsEntry("statistics", "missing").containsEntry("bloatPercent", null);
                assertThat(f.message()).contains("never analyzed", "ANALYZE " + table + ";");
            });
            assertThat(result.summary()).contains(table);
        }
    }

    @Test
    void staleStatisticsAreNamedAsUnknown(TestDatabase db) throws Exception {
        Scripts.run(db, """
                CREATE TABLE stale_stats (id bigint, note text) WITH (autovacuum_enabled = false);
                INSERT INTO stale_stats SELECT g, 'row ' || g FROM generate_series(1, 50000) g;
                ANALYZE stale_stats;
                UPDATE stale_stats SET note = repeat('x', 200) WHERE id % 2 = 0;
                VACUUM stale_stats;
                """);
        Checks.await("updates in the statistics", () -> Long.parseLong(db.queryString(
                "SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = 'stale_stats'")) >= 25000);

        CheckResult result = Checks.run(db.dataSource(), new TableBloatCheck(), "minReclaimableBytes", "1MB");

        assertThat(Checks.withDetail(result, "relation", "public.stale_stats")).singleElement().satisfies(f -> {
            assertThat(f.details()).containsEntry("statistics", "stale");
            assertThat(f.message()).contains("25000 rows changed since the last analyze", "ANALYZE public.stale_stats;");
        });
    }

    @Test
    void roleThatCannotReadTheTableGetsUnknownWithTheGrantNotAGuess(TestDatabase db) throws Exception {
        Scripts.run(db, """
                CREATE TABLE hidden_stats (id bigint PRIMARY KEY, note text);
                INSERT INTO hidden_stats SELECT g, 'row ' || g FROM generate_series(1, 100000) g;
                DELETE FROM hidden_stats WHERE id % 2 = 0;
                VACUUM ANALYZE hidden_stats;
                """);
        String role = "bloat_monitor_" + Math.abs(db.name().hashCode() % 100000);
        db.createRole(role, "pw-b", "");
        db.execute("GRANT pg_monitor TO " + role);

        CheckResult result = Checks.run(db.dataSource(role, "pw-b"), new TableBloatCheck(), "minReclaimableBytes", "1MB");

        assertThat(result.status()).isIn(CheckStatus.UNKNOWN, CheckStatus.WARN);
        assertThat(Checks.withDetail(result, "relation", "public.hidden_stats")).singleElement().satisfies(f -> {
            assertThat(f.details()).containsEntry("statistics", "not visible").containsEntry("bloatPercent", null);
            assertThat(f.message()).contains("GRANT SELECT ON public.hidden_stats");
        });
    }

    /** Asserts the estimate is within 10 points of pgstattuple and returns it. */
    private static double assertWithinTenPoints(TestDatabase db, String table, int fillfactor) throws Exception {
        CheckResult result = Checks.run(db.dataSource(), new TableBloatCheck(),
                "warnPercent", "0", "minReclaimableBytes", "0", "top", "1000");
        Finding f = Checks.withDetail(result, "relation", "public." + table).stream().findFirst()
                .orElseThrow(() -> new AssertionError(table + " not estimated: " + result));
        double estimate = (Double) f.details().get("bloatPercent");
        double freeAndDead = Double.parseDouble(db.queryString(
                "SELECT free_percent + dead_tuple_percent FROM pgstattuple('" + table + "')"));
        double truth = 100 - (100 - freeAndDead) * 100 / fillfactor;
        System.out.printf("table-bloat %s: estimate %.1f%%, pgstattuple %.1f%% (free+dead %.1f%%, fillfactor %d)%n",
                table, estimate, truth, freeAndDead, fillfactor);
        assertThat(estimate).as("%s estimate vs pgstattuple %.1f", table, truth).isCloseTo(truth, within(10.0));
        return estimate;
    }
}
