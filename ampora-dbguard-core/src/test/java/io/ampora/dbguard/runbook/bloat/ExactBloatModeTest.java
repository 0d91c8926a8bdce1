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
 * The opt-in exact mode ({@code exactTop}): the top findings measured with pgstattuple next to the estimate,
 * and the estimate kept, with the reason and the fix, when the extension, the privilege or the bounds say no.
 */
@WithPostgres
class ExactBloatModeTest {

    /** Half the rows of a 16 MB table deleted and vacuumed: its heap and its primary key are half empty. */
    private static final String HALF_DELETED = """
            CREATE TABLE exact_half (id bigint PRIMARY KEY, n int, note text);
            INSERT INTO exact_half SELECT g, g % 1000, 'a note of some forty characters, row ' || g
            FROM generate_series(1, 200000) g;
            DELETE FROM exact_half WHERE id % 2 = 0;
            VACUUM ANALYZE exact_half;
            """;

    @BeforeAll
    static void halfDeletedTableWithPgstattuple(TestDatabase db) throws Exception {
        db.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple");
        Scripts.run(db, HALF_DELETED);
    }

    @Test
    void exactModeMeasuresTheTopTableWithPgstattupleNextToTheEstimate(TestDatabase db) throws Exception {
        CheckResult result = Checks.run(db.dataSource(), new TableBloatCheck(), "exactTop", "5");

        double truth = Double.parseDouble(db.queryString(
                "SELECT free_percent + dead_tuple_percent FROM pgstattuple('exact_half')"));
        long size = Long.parseLong(db.queryString("SELECT pg_relation_size('exact_half')"));
        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        Finding f = Checks.withDetail(result, "relation", "public.exact_half").get(0);
        assertThat(f.details()).containsEntry("method", "exact").containsEntry("exactFunction", "pgstattuple_approx")
                .containsKeys("bloatPercent", "reclaimableBytes").doesNotContainKey("exactNotMeasured");
        double exact = (Double) f.details().get("exactBloatPercent");
        System.out.printf("table-bloat exact: estimate %s%%, pgstattuple_approx %.1f%%, pgstattuple %.1f%%%n",
                f.details().get("bloatPercent"), exact, truth);
        assertThat(exact).as("pgstattuple_approx vs pgstattuple's full read").isCloseTo(truth, within(2.0));
        assertThat((Long) f.details().get("exactReclaimableBytes")).isCloseTo((long) (size * truth / 100),
                within(size / 50));
        assertThat(f.message()).contains("Measured exactly with pgstattuple_approx", "VACUUM FULL public.exact_half;");
    }

    @Test
    void exactModeMeasuresTheTopIndexWithPgstatindex(TestDatabase db) throws Exception {
        CheckResult result = Checks.run(db.dataSource(), new IndexBloatCheck(), "exactTop", "5",
                "minReclaimableBytes", "1MB");

        double truth = Double.parseDouble(db.queryString("SELECT 100 * (1 - leaf_pages * avg_leaf_density / 90"
                + " / (index_size / current_setting('block_size')::float8)) FROM pgstatindex('exact_half_pkey')"));
        Finding f = Checks.withDetail(result, "relation", "public.exact_half_pkey").get(0);
        assertThat(f.details()).containsEntry("method", "exact").containsEntry("exactFunction", "pgstatindex");
        double exact = (Double) f.details().get("exactBloatPercent");
        System.out.printf("index-bloat exact: estimate %s%%, pgstatindex %.1f%% (truth %.1f%%)%n",
                f.details().get("bloatPercent"), exact, truth);
        assertThat(exact).isCloseTo(truth, within(0.1));
        assertThat(exact).isBetween(40.0, 60.0);
    }

    @Test
    void exactModeIsOffByDefaultAndStopsAtExactMaxBytes(TestDatabase db) throws Exception {
        Finding byDefault = Checks.withDetail(Checks.run(db.dataSource(), new TableBloatCheck()),
                "relation", "public.exact_half").get(0);
        assertThat(byDefault.details()).containsEntry("method", "estimate")
                .doesNotContainKeys("exactBloatPercent", "exactNotMeasured");

        Finding bounded = Checks.withDetail(Checks.run(db.dataSource(), new TableBloatCheck(), "exactTop", "5",
                "exactMaxBytes", "1MB"), "relation", "public.exact_half").get(0);
        assertThat(bounded.details()).containsEntry("method", "estimate").doesNotContainKey("exactBloatPercent");
        assertThat((String) bounded.details().get("exactNotMeasured")).contains("exactMaxBytes (1.0 MB");
        assertThat(bounded.message()).contains("not measured");
    }

    @Test
    void estimateOverratedByAlignmentPaddingIsClearedByTheExactFigure(TestDatabase db) throws Exception {
        // boolean then bigint, six times: each boolean is padded to 8 bytes in the heap, which the widths in
        // pg_stats do not show, so the estimate sees about a third of a fresh table as free
        Scripts.run(db, """
                CREATE TABLE exact_padded (a1 boolean, b1 bigint, a2 boolean, b2 bigint, a3 boolean, b3 bigint,
                                           a4 boolean, b4 bigint, a5 boolean, b5 bigint, a6 boolean, b6 bigint);
                INSERT INTO exact_padded SELECT true, g, false, g, true, g, false, g, true, g, false, g
                FROM generate_series(1, 100000) g;
                VACUUM ANALYZE exact_padded;
                """);
        Object[] settings = {"warnPercent", "20", "minReclaimableBytes", "1MB"};
        CheckResult estimated = Checks.run(db.dataSource(), new TableBloatCheck(), settings);
        assertThat(Checks.withDetail(estimated, "relation", "public.exact_padded")).as("the estimate's false alarm")
                .singleElement().satisfies(f -> assertThat((Double) f.details().get("bloatPercent")).isGreaterThan(20));

        CheckResult exact = Checks.run(db.dataSource(), new TableBloatCheck(), "warnPercent", "20",
                "minReclaimableBytes", "1MB", "exactTop", "5");

        assertThat(Checks.withDetail(exact, "relation", "public.exact_padded")).isEmpty();
        assertThat(exact.summary()).containsPattern("measured below the thresholds exactly \\(.*public\\.exact_padded");
        assertThat(Checks.withDetail(exact, "relation", "public.exact_half")).as("the real bloat stays")
                .singleElement().satisfies(f -> assertThat(f.details()).containsEntry("method", "exact"));
    }

    @Test
    void withoutTheExtensionTheEstimateStaysWithTheReason(TestDatabase db) throws Exception {
        try (TestDatabase own = TestDatabase.create(db.server(), ExactBloatModeTest.class)) {
            Scripts.run(own, HALF_DELETED);

            CheckResult result = Checks.run(own.dataSource(), new TableBloatCheck(), "exactTop", "5");

            assertThat(result.status()).isEqualTo(CheckStatus.WARN);
            Finding f = Checks.withDetail(result, "relation", "public.exact_half").get(0);
            assertThat(f.details()).containsEntry("method", "estimate").doesNotContainKey("exactBloatPercent");
            assertThat((Double) f.details().get("bloatPercent")).isBetween(40.0, 60.0);
            assertThat((String) f.details().get("exactNotMeasured"))
                    .contains("pgstattuple is not installed", "CREATE EXTENSION pgstattuple;");
        }
    }

    @Test
    void roleWithoutPgStatScanTablesGetsTheEstimateAndTheGrant(TestDatabase db) throws Exception {
        String role = "bloat_exact_" + Math.abs(db.name().hashCode() % 100000);
        db.createRole(role, "pw-e", "");
        db.execute("GRANT SELECT ON exact_half TO " + role);

        CheckResult result = Checks.run(db.dataSource(role, "pw-e"), new IndexBloatCheck(), "exactTop", "5",
                "minReclaimableBytes", "1MB");

        Finding f = Checks.withDetail(result, "relation", "public.exact_half_pkey").get(0);
        assertThat(f.details()).containsEntry("method", "estimate").doesNotContainKey("exactBloatPercent");
        assertThat((String) f.details().get("exactNotMeasured"))
                .contains("may not execute public.pgstatindex(regclass)", "GRANT pg_stat_scan_tables TO " + role + ";");

        db.execute("GRANT pg_stat_scan_tables TO " + role);
        Finding granted = Checks.withDetail(Checks.run(db.dataSource(role, "pw-e"), new IndexBloatCheck(),
                "exactTop", "5", "minReclaimableBytes", "1MB"), "relation", "public.exact_half_pkey").get(0);
        assertThat(granted.details()).as("the grant is enough").containsEntry("method", "exact");
    }
}
