package io.ampora.dbguard.runbook.indexes;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import org.junit.jupiter.api.Test;

@WithPostgres
class DuplicateIndexesCheckTest {

    @Test
    void identicalIndexOnAWeirdlyNamedTableIsReportedWithTheOneToKeepAndGoneAfterTheDrop(TestDatabase db) throws Exception {
        db.execute("""
                CREATE SCHEMA "Dup Schema";
                CREATE TABLE "Dup Schema"."Order ""Items""\" (id bigint PRIMARY KEY, "Customer Id" bigint);
                CREATE INDEX "first idx" ON "Dup Schema"."Order ""Items""\" ("Customer Id");
                CREATE INDEX "second idx" ON "Dup Schema"."Order ""Items""\" ("Customer Id");
                """);

        CheckResult result = Checks.run(db.dataSource(), new DuplicateIndexesCheck());

        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        assertThat(Checks.withDetail(result, "table", "\"Dup Schema\".\"Order \"\"Items\"\"\"")).singleElement().satisfies(f -> {
            assertThat(f.details()).containsEntry("index", "\"Dup Schema\".\"second idx\"")
                    .containsEntry("keep", "\"Dup Schema\".\"first idx\"")
                    .containsEntry("reason", "identical")
                    .containsEntry("columns", "\"Customer Id\"")
                    .containsEntry("fix", "DROP INDEX CONCURRENTLY \"Dup Schema\".\"second idx\";");
            assertThat(f.message()).contains("identical to \"Dup Schema\".\"first idx\"");
        });

        db.execute("DROP INDEX CONCURRENTLY \"Dup Schema\".\"second idx\"");
        assertThat(Checks.withDetail(Checks.run(db.dataSource(), new DuplicateIndexesCheck()), "table",
                "\"Dup Schema\".\"Order \"\"Items\"\"\"")).isEmpty();
    }

    @Test
    void indexWhoseColumnsLeadAnotherIsPrefixRedundant(TestDatabase db) throws Exception {
        db.execute("""
                CREATE TABLE prefixed (id bigint PRIMARY KEY, tenant int, created timestamptz);
                CREATE INDEX prefixed_tenant ON prefixed (tenant);
                CREATE INDEX prefixed_tenant_created ON prefixed (tenant, created);
                """);

        CheckResult result = Checks.run(db.dataSource(), new DuplicateIndexesCheck());

        assertThat(Checks.withDetail(result, "table", "public.prefixed")).singleElement().satisfies(f ->
                assertThat(f.details()).containsEntry("index", "public.prefixed_tenant")
                        .containsEntry("keep", "public.prefixed_tenant_created")
                        .containsEntry("reason", "prefix")
                        .containsEntry("fix", "DROP INDEX CONCURRENTLY public.prefixed_tenant;"));
    }

    @Test
    void constraintBackingIndexesAreNeverProposedForDropping(TestDatabase db) throws Exception {
        db.execute("""
                CREATE TABLE constrained (id bigint PRIMARY KEY, code text CONSTRAINT constrained_code_key UNIQUE, ref bigint);
                CREATE UNIQUE INDEX constrained_id_again ON constrained (id);
                CREATE INDEX constrained_code_plain ON constrained (code);
                -- a unique constraint whose column leads another index: the constraint stays
                ALTER TABLE constrained ADD CONSTRAINT constrained_ref_key UNIQUE (ref);
                CREATE INDEX constrained_ref_code ON constrained (ref, code);
                CREATE TABLE referencing (id bigint PRIMARY KEY, constrained_code text REFERENCES constrained (code));
                """);

        CheckResult result = Checks.run(db.dataSource(), new DuplicateIndexesCheck());

        assertThat(Checks.withDetail(result, "table", "public.constrained"))
                .extracting(f -> f.details().get("index") + " keep " + f.details().get("keep"))
                .containsExactlyInAnyOrder(
                        "public.constrained_id_again keep public.constrained_pkey",
                        "public.constrained_code_plain keep public.constrained_code_key");
        assertThat(result.findings()).noneMatch(f -> String.valueOf(f.details().get("index")).matches(
                ".*(_pkey|_key)"));
    }

    @Test
    void differentPredicatesOpclassesOrdersAndUniquenessAreNotDuplicates(TestDatabase db) throws Exception {
        db.execute("""
                CREATE TABLE distinct_idx (id bigint PRIMARY KEY, email text, status text, score int);
                CREATE INDEX distinct_email ON distinct_idx (email);
                CREATE INDEX distinct_email_pattern ON distinct_idx (email text_pattern_ops);
                CREATE INDEX distinct_email_active ON distinct_idx (email) WHERE status = 'active';
                CREATE INDEX distinct_score ON distinct_idx (score);
                CREATE INDEX distinct_score_desc ON distinct_idx (score DESC);
                CREATE UNIQUE INDEX distinct_status_unique ON distinct_idx (status);
                CREATE INDEX distinct_status_score ON distinct_idx (status, score);
                CREATE INDEX distinct_lower_email ON distinct_idx (lower(email));
                CREATE INDEX distinct_upper_email ON distinct_idx (upper(email));
                """);

        CheckResult result = Checks.run(db.dataSource(), new DuplicateIndexesCheck());

        assertThat(Checks.withDetail(result, "table", "public.distinct_idx")).isEmpty();
    }

    @Test
    void identicalExpressionIndexesAreDuplicates(TestDatabase db) throws Exception {
        db.execute("""
                CREATE TABLE expr_dup (id bigint PRIMARY KEY, email text);
                CREATE INDEX expr_dup_a ON expr_dup (lower(email));
                CREATE INDEX expr_dup_b ON expr_dup (lower(email));
                """);

        assertThat(Checks.withDetail(Checks.run(db.dataSource(), new DuplicateIndexesCheck()), "table", "public.expr_dup"))
                .singleElement().satisfies(f -> assertThat(f.details()).containsEntry("index", "public.expr_dup_b")
                        .containsEntry("keep", "public.expr_dup_a"));
    }

    @Test
    void partitionedTableIsReportedOnceOnTheParentIndex(TestDatabase db) throws Exception {
        db.execute("""
                CREATE TABLE parted (id bigint, tenant int, note text) PARTITION BY LIST (tenant);
                CREATE TABLE parted_1 PARTITION OF parted FOR VALUES IN (1);
                CREATE TABLE parted_2 PARTITION OF parted FOR VALUES IN (2);
                CREATE INDEX parted_note_a ON parted (note);
                CREATE INDEX parted_note_b ON parted (note);
                """);

        CheckResult result = Checks.run(db.dataSource(), new DuplicateIndexesCheck());

        assertThat(result.findings()).filteredOn(f -> String.valueOf(f.details().get("table")).startsWith("public.parted"))
                .singleElement().satisfies(f -> assertThat(f.details()).containsEntry("table", "public.parted")
                        .containsEntry("index", "public.parted_note_b")
                        .containsEntry("partitioned", true)
                        .containsEntry("fix", "DROP INDEX public.parted_note_b;"));
    }

    @Test
    void passesWhenNoIndexIsRedundant(TestDatabase db) throws Exception {
        try (TestDatabase fresh = TestDatabase.create(db.server(), DuplicateIndexesCheckTest.class)) {
            fresh.execute("CREATE TABLE tidy (id bigint PRIMARY KEY, a int, b int); CREATE INDEX tidy_b_a ON tidy (b, a);");

            CheckResult result = Checks.run(fresh.dataSource(), new DuplicateIndexesCheck());

            assertThat(result.status()).isEqualTo(CheckStatus.PASS);
            assertThat(result.findings()).isEmpty();
        }
    }
}
