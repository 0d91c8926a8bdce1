package io.ampora.dbguard.runbook.maintenance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;

@WithPostgres
class InvalidIndexesCheckTest {

    private static final String ITEMS = "\"My Schema\".\"Order \"\"Items\"\"\"";
    private static final String SKU_INDEX = "\"My Schema\".\"Order \"\"Items\"\"_sku\"";

    @Test
    void failsOnUniqueIndexLeftInvalidByAFailedConcurrentBuildAndItsDropStatementWorks(TestDatabase db) throws Exception {
        db.execute("CREATE SCHEMA \"My Schema\"; CREATE TABLE " + ITEMS + " (sku text);"
                + " INSERT INTO " + ITEMS + " VALUES ('A-1'), ('A-1')");
        assertThatThrownBy(() -> db.execute("CREATE UNIQUE INDEX CONCURRENTLY \"Order \"\"Items\"\"_sku\" ON " + ITEMS + " (sku)"))
                .isInstanceOf(SQLException.class).hasMessageContaining("duplicate");
        try {
            CheckResult result = run(db);

            assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
            Finding f = result.findings().get(0);
            assertThat(result.findings()).hasSize(1);
            assertThat(f.details())
                    .containsEntry("index", SKU_INDEX)
                    .containsEntry("table", ITEMS)
                    .containsEntry("unique", true)
                    .containsEntry("drop", "DROP INDEX CONCURRENTLY " + SKU_INDEX + ";")
                    .containsEntry("rebuild", "REINDEX INDEX CONCURRENTLY " + SKU_INDEX + ";");
            assertThat(f.message()).startsWith("Unique index " + SKU_INDEX + " on " + ITEMS + " is invalid")
                    .contains("Remove the duplicate rows first");

            db.execute((String) f.details().get("drop"));

            assertThat(run(db).status()).isEqualTo(CheckStatus.PASS);
        } finally {
            db.execute("DROP SCHEMA \"My Schema\" CASCADE");
        }
    }

    @Test
    void warnsOnInvalidIndexOfAPartitionAndOnAPartitionedIndexMissingAPartition(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE readings (k int, v int) PARTITION BY RANGE (k);"
                + " CREATE TABLE readings_1 PARTITION OF readings FOR VALUES FROM (0) TO (10);"
                + " INSERT INTO readings VALUES (5, 1);"
                + " CREATE INDEX readings_v_idx ON ONLY readings (v)");
        assertThatThrownBy(() -> db.execute("CREATE INDEX CONCURRENTLY readings_1_ratio ON readings_1 ((v / (k - 5)))"))
                .isInstanceOf(SQLException.class).hasMessageContaining("division by zero");
        try {
            CheckResult result = run(db);

            assertThat(result.status()).isEqualTo(CheckStatus.WARN);
            assertThat(result.findings()).hasSize(2);
            assertThat(result.findings()).anySatisfy(f -> {
                assertThat(f.details()).containsEntry("index", "public.readings_1_ratio").containsEntry("unique", false)
                        .containsEntry("table", "public.readings_1")
                        .containsEntry("maintainedOnWrites", false) // the build failed before the index became ready
                        .containsEntry("drop", "DROP INDEX CONCURRENTLY public.readings_1_ratio;");
                assertThat(f.message()).contains("queries ignore it. Drop it with DROP INDEX CONCURRENTLY public.readings_1_ratio;");
            });
            assertThat(result.findings()).anySatisfy(f -> {
                assertThat(f.details()).containsEntry("index", "public.readings_v_idx").containsEntry("partitioned", true);
                assertThat(f.message()).contains("ALTER INDEX public.readings_v_idx ATTACH PARTITION");
            });
            assertThat(result.summary()).isEqualTo("2 indexes are invalid: queries ignore them.");
        } finally {
            db.execute("DROP TABLE readings");
        }
    }

    @Test
    void staysQuietWhenEveryIndexIsValid(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE tidy (id int PRIMARY KEY, v int)");
        db.execute("CREATE INDEX CONCURRENTLY tidy_v ON tidy (v)");
        try {
            CheckResult result = run(db);

            assertThat(result.status()).isEqualTo(CheckStatus.PASS);
            assertThat(result.findings()).isEmpty();
            assertThat(result.summary()).isEqualTo("No invalid index.");
        } finally {
            db.execute("DROP TABLE tidy");
        }
    }

    private static CheckResult run(TestDatabase db) {
        return DbGuard.builder().dataSource(db.dataSource()).checks(List.of(new InvalidIndexesCheck()))
                .build().report().result("invalid-indexes").orElseThrow();
    }
}
