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
 * The btree estimate against pgstatindex. The truth is the share of the index's pages a fresh build at
 * the default fillfactor (90) would not need: {@code 1 - leaf_pages * avg_leaf_density / 90 / pages},
 * so half-empty leaves, and empty or deleted pages, count; the metapage and internal pages do not.
 * Within 15 points.
 */
@WithPostgres
class IndexBloatCheckTest {

    @BeforeAll
    static void pgstattuple(TestDatabase db) throws Exception {
        db.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple");
    }

    @Test
    void freshIndexesAreNotReportedAndTheEstimateMatchesPgstatindex(TestDatabase db) throws Exception {
        Scripts.run(db, """
                CREATE TABLE fresh_idx (id bigint PRIMARY KEY, code text, amount numeric, created timestamptz);
                INSERT INTO fresh_idx SELECT g, 'CODE-' || (g * 7919 % 100003), g / 3.0, now() - g * interval '1 s'
                FROM generate_series(1, 100000) g;
                CREATE INDEX fresh_idx_code ON fresh_idx (code);
                CREATE INDEX fresh_idx_multi ON fresh_idx (created, amount);
                CREATE INDEX fresh_idx_lower ON fresh_idx (lower(code));
                VACUUM ANALYZE fresh_idx;
                """);

        for (String index : new String[] {"fresh_idx_pkey", "fresh_idx_code", "fresh_idx_multi", "fresh_idx_lower"}) {
            assertThat(assertWithinFifteenPoints(db, index)).as("no false alarm on %s", index).isLessThan(15);
        }
        CheckResult defaults = Checks.run(db.dataSource(), new IndexBloatCheck(), "minReclaimableBytes", "0");
        assertThat(defaults.findings()).noneMatch(f -> String.valueOf(f.details().get("relation")).contains("fresh_idx"));
    }

    @Test
    void indexAfterRandomDeletesWarnsWithReindexConcurrently(TestDatabase db) throws Exception {
        Scripts.run(db, """
                CREATE TABLE random_deletes (id bigint PRIMARY KEY, token text);
                INSERT INTO random_deletes SELECT g, md5(g::text) FROM generate_series(1, 300000) g;
                CREATE INDEX random_deletes_token ON random_deletes (token);
                DELETE FROM random_deletes WHERE random() < 0.6;
                VACUUM ANALYZE random_deletes;
                """);
        assertThat(Long.parseLong(db.queryString("SELECT pg_relation_size('random_deletes_token')"))).isGreaterThan(10L << 20);

        assertThat(assertWithinFifteenPoints(db, "random_deletes_pkey")).isGreaterThan(40);
        assertThat(assertWithinFifteenPoints(db, "random_deletes_token")).isGreaterThan(40);

        CheckResult result = Checks.run(db.dataSource(), new IndexBloatCheck());
        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        assertThat(Checks.withDetail(result, "relation", "public.random_deletes_token")).singleElement().satisfies(f -> {
            assertThat(f.details()).containsEntry("table", "public.random_deletes")
                    .containsEntry("fix", "REINDEX INDEX CONCURRENTLY public.random_deletes_token;")
                    .containsEntry("statistics", "fresh")
                    .containsKeys("bloatPercent", "reclaimableBytes", "sizeBytes", "statisticsAge");
            assertThat((Long) f.details().get("reclaimableBytes")).isGreaterThan(4L << 20);
        });
        assertThat(result.remediation()).contains("REINDEX INDEX CONCURRENTLY public.random_deletes_token;");

        db.execute("REINDEX INDEX CONCURRENTLY public.random_deletes_token");
        assertThat(Checks.withDetail(Checks.run(db.dataSource(), new IndexBloatCheck()), "relation",
                "public.random_deletes_token")).as("gone after the fix").isEmpty();
    }

    @Test
    void nullHeavyAndIncludeColumns(TestDatabase db) throws Exception {
        Scripts.run(db, """
                CREATE TABLE sparse_idx (id bigint PRIMARY KEY, maybe text, extra int);
                INSERT INTO sparse_idx SELECT g, CASE WHEN g % 4 = 0 THEN 'maybe ' || g END, g FROM generate_series(1, 100000) g;
                CREATE INDEX sparse_idx_maybe ON sparse_idx (maybe) INCLUDE (extra);
                DELETE FROM sparse_idx WHERE id % 2 = 0 AND id > 50000;
                VACUUM ANALYZE sparse_idx;
                """);

        assertThat(assertWithinFifteenPoints(db, "sparse_idx_maybe")).isBetween(10.0, 40.0);
    }

    @Test
    void weirdlyNamedIndexOfAPartition(TestDatabase db) throws Exception {
        Scripts.run(db, """
                CREATE SCHEMA "Idx Schema";
                CREATE TABLE "Idx Schema"."Order ""Items""\" (id bigint, tenant int, note text) PARTITION BY LIST (tenant);
                CREATE TABLE "Idx Schema"."Items 1" PARTITION OF "Idx Schema"."Order ""Items""\" FOR VALUES IN (1);
                CREATE INDEX "Note ""Idx""\" ON "Idx Schema"."Order ""Items""\" (note);
                INSERT INTO "Idx Schema"."Order ""Items""\" SELECT g, 1, md5(g::text) FROM generate_series(1, 100000) g;
                DELETE FROM "Idx Schema"."Order ""Items""\" WHERE random() < 0.7;
                VACUUM ANALYZE "Idx Schema"."Items 1";
                """);
        String partitionIndex = db.queryString("SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_index i ON i.indexrelid = c.oid"
                + " WHERE i.indrelid = '\"Idx Schema\".\"Items 1\"'::regclass");

        CheckResult result = Checks.run(db.dataSource(), new IndexBloatCheck(), "minReclaimableBytes", "1MB");

        assertThat(Checks.withDetail(result, "relation", partitionIndex)).singleElement().satisfies(f ->
                assertThat(f.details()).containsEntry("table", "\"Idx Schema\".\"Items 1\"")
                        .containsEntry("fix", "REINDEX INDEX CONCURRENTLY " + partitionIndex + ";"));
    }

    /** Asserts the estimate is within 15 points of pgstatindex and returns it. */
    private static double assertWithinFifteenPoints(TestDatabase db, String index) throws Exception {
        CheckResult result = Checks.run(db.dataSource(), new IndexBloatCheck(),
                "warnPercent", "0", "minReclaimableBytes", "0", "top", "1000");
        Finding f = Checks.withDetail(result, "relation", "public." + index).stream().findFirst()
                .orElseThrow(() -> new AssertionError(index + " not estimated: " + result));
        double estimate = (Double) f.details().get("bloatPercent");
        double truth = Double.parseDouble(db.queryString("SELECT 100 * (1 - leaf_pages * avg_leaf_density / 90"
                + " / (index_size / current_setting('block_size')::float8)) FROM pgstatindex('" + index + "')"));
        System.out.printf("index-bloat %s: estimate %.1f%%, pgstatindex %.1f%%%n", index, estimate, truth);
        assertThat(estimate).as("%s estimate vs pgstatindex %.1f", index, truth).isCloseTo(truth, within(15.0));
        return estimate;
    }
}
