package io.ampora.dbguard.runbook.queries;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.util.List;
import org.junit.jupiter.api.Test;

@WithPostgres
class FkIndexCheckTest {

    private static final String WEIRD = "\"My Schema\".\"Order \"\"Items\"\"\"";

    @Test
    void reportsUnindexedForeignKeyWithCreateIndexStatementForWeirdNames(TestDatabase db) throws Exception {
        db.execute("""
                CREATE SCHEMA "My Schema";
                CREATE TABLE "My Schema".customer (id bigint PRIMARY KEY);
                CREATE TABLE "My Schema"."Order ""Items""\" (
                    id bigint PRIMARY KEY,
                    "Customer Id" bigint REFERENCES "My Schema".customer (id));
                """);

        CheckResult result = Checks.run(db.dataSource(), new FkIndexCheck());

        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        List<Finding> found = Checks.withDetail(result, "table", WEIRD);
        assertThat(found).singleElement().satisfies(f -> {
            assertThat(f.details()).containsEntry("columns", "\"Customer Id\"")
                    .containsEntry("referencedTable", "\"My Schema\".customer")
                    .containsEntry("fix", "CREATE INDEX CONCURRENTLY ON " + WEIRD + " (\"Customer Id\");");
            assertThat(f.message()).contains(WEIRD, "\"Customer Id\"");
        });
        assertThat(result.remediation()).contains("CREATE INDEX CONCURRENTLY ON " + WEIRD);

        db.execute(found.get(0).details().get("fix").toString());

        assertThat(Checks.withDetail(Checks.run(db.dataSource(), new FkIndexCheck()), "table", WEIRD)).isEmpty();
    }

    @Test
    void onlyLeadingKeyColumnsOfValidNonPartialIndexesCover(TestDatabase db) throws Exception {
        db.execute("""
                CREATE TABLE parent2 (a int, b int, PRIMARY KEY (a, b));
                -- covered: same columns as a set, in another order, followed by more columns
                CREATE TABLE covered (id int PRIMARY KEY, a int, b int, c int, FOREIGN KEY (a, b) REFERENCES parent2);
                CREATE INDEX ON covered (b, a, c);
                -- not covered: the FK column only in INCLUDE
                CREATE TABLE included (id int PRIMARY KEY, a int, b int, FOREIGN KEY (a, b) REFERENCES parent2);
                CREATE INDEX ON included (a) INCLUDE (b);
                -- not covered: the FK columns are not the leading ones
                CREATE TABLE trailing_fk (id int PRIMARY KEY, a int, b int, FOREIGN KEY (a, b) REFERENCES parent2);
                CREATE INDEX ON trailing_fk (id, a, b);
                -- not covered: a partial index
                CREATE TABLE partial (id int PRIMARY KEY, a int, b int, FOREIGN KEY (a, b) REFERENCES parent2);
                CREATE INDEX ON partial (a, b) WHERE a > 0;
                """);

        CheckResult result = Checks.run(db.dataSource(), new FkIndexCheck());

        assertThat(Checks.withDetail(result, "table", "public.covered")).isEmpty();
        assertThat(Checks.withDetail(result, "table", "public.included")).hasSize(1);
        assertThat(Checks.withDetail(result, "table", "public.trailing_fk")).hasSize(1);
        assertThat(Checks.withDetail(result, "table", "public.partial")).singleElement()
                .satisfies(f -> assertThat(f.details()).containsEntry("columns", "a, b"));
    }

    @Test
    void partialIndexOnlyRequiringTheKeyColumnsNotNullCoversButBrinNeverDoes(TestDatabase db) throws Exception {
        db.execute("""
                CREATE TABLE parent3 (a int, b int, PRIMARY KEY (a, b));
                -- covered: the lookup's a = $1 AND b = $2 implies the predicate
                CREATE TABLE not_null_partial (id int PRIMARY KEY, a int, b int, FOREIGN KEY (a, b) REFERENCES parent3);
                CREATE INDEX ON not_null_partial (a, b) WHERE a IS NOT NULL AND b IS NOT NULL;
                CREATE TABLE parent4 (a int PRIMARY KEY);
                CREATE TABLE "Weird ""Partial""\" (id int PRIMARY KEY, "Key A" int REFERENCES parent4 (a), "Key B" int);
                CREATE INDEX ON "Weird ""Partial""\" ("Key A") WHERE "Key A" IS NOT NULL;
                -- not covered: the predicate also asks for something else
                CREATE TABLE mixed_partial (id int PRIMARY KEY, a int, b int, live boolean, FOREIGN KEY (a, b) REFERENCES parent3);
                CREATE INDEX ON mixed_partial (a, b) WHERE a IS NOT NULL AND live;
                -- not covered: the predicate names another column
                CREATE TABLE other_partial (id int PRIMARY KEY, a int, b int, c int, FOREIGN KEY (a, b) REFERENCES parent3);
                CREATE INDEX ON other_partial (a, b) WHERE c IS NOT NULL;
                -- not covered: BRIN
                CREATE TABLE brin_only (id int PRIMARY KEY, a int, b int, FOREIGN KEY (a, b) REFERENCES parent3);
                CREATE INDEX ON brin_only USING brin (a, b);
                """);

        CheckResult result = Checks.run(db.dataSource(), new FkIndexCheck());

        assertThat(Checks.withDetail(result, "table", "public.not_null_partial")).isEmpty();
        assertThat(Checks.withDetail(result, "table", "public.\"Weird \"\"Partial\"\"\"")).isEmpty();
        assertThat(Checks.withDetail(result, "table", "public.mixed_partial")).hasSize(1);
        assertThat(Checks.withDetail(result, "table", "public.other_partial")).hasSize(1);
        assertThat(Checks.withDetail(result, "table", "public.brin_only")).singleElement()
                .satisfies(f -> assertThat(f.details()).containsEntry("columns", "a, b"));
    }

    @Test
    void partitionedTableIsReportedOnceOnTheParentWithoutConcurrently(TestDatabase db) throws Exception {
        db.execute("""
                CREATE TABLE account (id bigint PRIMARY KEY);
                CREATE TABLE ledger (id bigint, account_id bigint REFERENCES account (id), day date NOT NULL)
                    PARTITION BY RANGE (day);
                CREATE TABLE ledger_2025 PARTITION OF ledger FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
                CREATE TABLE ledger_2026 PARTITION OF ledger FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
                """);

        CheckResult result = Checks.run(db.dataSource(), new FkIndexCheck());

        assertThat(Checks.withDetail(result, "table", "public.ledger")).singleElement().satisfies(f -> {
            assertThat(f.details()).containsEntry("partitioned", true);
            assertThat(f.details().get("fix").toString()).startsWith("CREATE INDEX ON public.ledger (account_id);");
        });
        assertThat(result.findings()).noneMatch(f -> f.details().get("table").toString().startsWith("public.ledger_"));

        db.execute("CREATE INDEX ON ledger (account_id)");

        assertThat(Checks.withDetail(Checks.run(db.dataSource(), new FkIndexCheck()), "table", "public.ledger")).isEmpty();
    }

    @Test
    void passesOnADatabaseWhoseForeignKeysAreIndexed(TestDatabase db) throws Exception {
        try (TestDatabase fresh = TestDatabase.create(db.server(), FkIndexCheckTest.class)) {
            fresh.execute("""
                    CREATE TABLE customer (id bigint PRIMARY KEY);
                    CREATE TABLE purchase (id bigint PRIMARY KEY, customer_id bigint REFERENCES customer);
                    CREATE INDEX ON purchase (customer_id);
                    """);

            CheckResult result = Checks.run(fresh.dataSource(), new FkIndexCheck());

            assertThat(result.status()).isEqualTo(CheckStatus.PASS);
            assertThat(result.findings()).isEmpty();
        }
    }
}
