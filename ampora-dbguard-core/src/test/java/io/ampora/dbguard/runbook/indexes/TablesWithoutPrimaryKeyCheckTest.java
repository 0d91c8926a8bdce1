package io.ampora.dbguard.runbook.indexes;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import org.junit.jupiter.api.Test;

@WithPostgres
class TablesWithoutPrimaryKeyCheckTest {

    @Test
    void keylessWeirdlyNamedTableIsReportedAndGoneOnceTheFixRan(TestDatabase db) throws Exception {
        db.execute("""
                CREATE SCHEMA "Key Schema";
                CREATE TABLE "Key Schema"."Audit ""Log""\" (id bigint NOT NULL, note text);
                INSERT INTO "Key Schema"."Audit ""Log""\" SELECT g, 'x' FROM generate_series(1, 100) g;
                """);
        String table = "\"Key Schema\".\"Audit \"\"Log\"\"\"";

        CheckResult result = Checks.run(db.dataSource(), new TablesWithoutPrimaryKeyCheck());

        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        assertThat(Checks.withDetail(result, "table", table)).singleElement().satisfies(f -> {
            assertThat(f.details()).containsEntry("fix", "Add one on its id column (NOT NULL and unique first): ALTER TABLE "
                    + table + " ADD PRIMARY KEY (id);").containsEntry("partitioned", false);
            assertThat(f.message()).contains("logical replication cannot replicate its UPDATEs and DELETEs");
        });

        db.execute("ALTER TABLE " + table + " ADD PRIMARY KEY (id)");
        assertThat(Checks.withDetail(Checks.run(db.dataSource(), new TablesWithoutPrimaryKeyCheck()), "table", table)).isEmpty();
    }

    @Test
    void uniqueIndexOnNotNullColumnsIsAKeyButOnNullableOnesItIsNot(TestDatabase db) throws Exception {
        db.execute("""
                CREATE TABLE natural_key (code text NOT NULL, note text);
                CREATE UNIQUE INDEX natural_key_code ON natural_key (code);
                CREATE TABLE nullable_key (code text, note text);
                CREATE UNIQUE INDEX nullable_key_code ON nullable_key (code);
                CREATE TABLE partial_key (code text NOT NULL, note text);
                CREATE UNIQUE INDEX partial_key_code ON partial_key (code) WHERE note IS NOT NULL;
                CREATE TABLE no_key_at_all (note text);
                """);

        CheckResult result = Checks.run(db.dataSource(), new TablesWithoutPrimaryKeyCheck());

        assertThat(Checks.withDetail(result, "table", "public.natural_key")).isEmpty();
        assertThat(Checks.withDetail(result, "table", "public.nullable_key")).singleElement().satisfies(f ->
                assertThat(f.details()).containsEntry("uniqueIndex", "public.nullable_key_code")
                        .containsEntry("fix", "Its unique index public.nullable_key_code would do once its columns are"
                                + " NOT NULL: ALTER TABLE public.nullable_key ALTER COLUMN code SET NOT NULL; then ALTER TABLE"
                                + " public.nullable_key ADD PRIMARY KEY USING INDEX nullable_key_code;"));
        assertThat(Checks.withDetail(result, "table", "public.partial_key")).hasSize(1);
        assertThat(Checks.withDetail(result, "table", "public.no_key_at_all")).singleElement().satisfies(f ->
                assertThat((String) f.details().get("fix")).contains("ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
                        "ACCESS EXCLUSIVE"));
    }

    @Test
    void partitionedTableIsReportedOnce(TestDatabase db) throws Exception {
        db.execute("""
                CREATE TABLE events_keyless (at timestamptz, payload text) PARTITION BY RANGE (at);
                CREATE TABLE events_keyless_2026 PARTITION OF events_keyless FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
                CREATE TABLE events_keyless_2027 PARTITION OF events_keyless FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
                """);

        CheckResult result = Checks.run(db.dataSource(), new TablesWithoutPrimaryKeyCheck());

        assertThat(result.findings()).filteredOn(f -> String.valueOf(f.details().get("table")).startsWith("public.events_keyless"))
                .singleElement().satisfies(f -> assertThat(f.details()).containsEntry("table", "public.events_keyless")
                        .containsEntry("partitioned", true));
    }

    @Test
    void passesWhenEveryTableHasAKey(TestDatabase db) throws Exception {
        try (TestDatabase fresh = TestDatabase.create(db.server(), TablesWithoutPrimaryKeyCheckTest.class)) {
            fresh.execute("CREATE TABLE keyed (id bigint PRIMARY KEY); CREATE TABLE parted_keyed (id bigint, k int,"
                    + " PRIMARY KEY (id, k)) PARTITION BY LIST (k); CREATE TABLE parted_keyed_1 PARTITION OF parted_keyed"
                    + " FOR VALUES IN (1);");

            CheckResult result = Checks.run(fresh.dataSource(), new TablesWithoutPrimaryKeyCheck());

            assertThat(result.status()).isEqualTo(CheckStatus.PASS);
        }
    }
}
