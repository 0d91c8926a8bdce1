package io.ampora.dbguard.runbook.maintenance;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@WithPostgres
class SequenceExhaustionCheckTest {

    private static final String ITEMS = "\"My Schema\".\"Order \"\"Items\"\"\"";
    private static final String ITEMS_SEQ = "\"My Schema\".\"Order \"\"Items\"\"_id_seq\"";

    @Test
    void failsWhenAnIntegerColumnFedByABigintSequenceNearsItsTypeLimit(TestDatabase db) throws Exception {
        db.execute("CREATE SCHEMA \"My Schema\"; CREATE SEQUENCE " + ITEMS_SEQ + " AS bigint;"
                + " CREATE TABLE " + ITEMS + " (id int DEFAULT nextval('" + ITEMS_SEQ.replace("'", "''") + "'), sku text);"
                + " ALTER SEQUENCE " + ITEMS_SEQ + " OWNED BY " + ITEMS + ".id;"
                + " SELECT setval('" + ITEMS_SEQ + "', 2040109465)"); // 95% of 2^31-1
        try {
            CheckResult result = run(db.dataSource());

            assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(result.findings()).singleElement().satisfies(f -> {
                assertThat(f.details())
                        .containsEntry("sequence", ITEMS_SEQ)
                        .containsEntry("lastValue", 2040109465L)
                        .containsEntry("limit", 2147483647L)
                        .containsEntry("percentUsed", 95.0)
                        .containsEntry("sequenceType", "bigint")
                        .containsEntry("column", ITEMS + ".id")
                        .containsEntry("columnType", "integer")
                        .containsEntry("boundByColumn", true);
                assertThat(f.message()).startsWith("Sequence " + ITEMS_SEQ + " is at 2040109465, 95.0% of its range: the integer column "
                        + ITEMS + ".id it feeds overflows at 2147483647, 107374182 values are left.");
            });
            assertThat(result.remediation()).startsWith("ALTER TABLE " + ITEMS + " ALTER COLUMN id TYPE bigint;")
                    .doesNotContain("ALTER SEQUENCE");
        } finally {
            db.execute("DROP SCHEMA \"My Schema\" CASCADE");
        }
    }

    @Test
    void warnsForASerialOfAPartitionedTableAndWidensColumnAndSequence(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE events (id serial, k int) PARTITION BY RANGE (k);"
                + " CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (0) TO (100);"
                + " SELECT setval('events_id_seq', 1717986918)"); // 80%
        try {
            CheckResult result = run(db.dataSource());

            assertThat(result.status()).isEqualTo(CheckStatus.WARN);
            assertThat(result.findings()).singleElement().satisfies(f ->
                    assertThat(f.details()).containsEntry("sequence", "public.events_id_seq")
                            .containsEntry("column", "public.events.id").containsEntry("percentUsed", 80.0));
            assertThat(result.remediation()).contains("ALTER TABLE public.events ALTER COLUMN id TYPE bigint;",
                    "ALTER SEQUENCE public.events_id_seq AS bigint;");
        } finally {
            db.execute("DROP TABLE events");
        }
    }

    @Test
    void identityColumnNeedsOnlyTheColumnWidened(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE tickets (id smallint GENERATED ALWAYS AS IDENTITY, note text);"
                + " SELECT setval(pg_get_serial_sequence('tickets', 'id'), 32000)");
        try {
            CheckResult result = run(db.dataSource());

            assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(result.remediation()).startsWith("ALTER TABLE public.tickets ALTER COLUMN id TYPE bigint;")
                    .doesNotContain("ALTER SEQUENCE");
        } finally {
            db.execute("DROP TABLE tickets");
        }
    }

    @Test
    void unreadableSequencesMakeItUnknownWithTheGrant(TestDatabase db) throws Exception {
        db.execute("CREATE SEQUENCE private_seq");
        db.createRole("locks_seq_reader", "reader-pw", "");
        try {
            CheckResult result = run(db.dataSource("locks_seq_reader", "reader-pw"));

            assertThat(result.status()).isEqualTo(CheckStatus.UNKNOWN);
            assertThat(result.findings()).singleElement().satisfies(f -> {
                assertThat(f.details()).containsEntry("grant", "GRANT SELECT ON SEQUENCE public.private_seq TO locks_seq_reader");
                assertThat(f.message()).contains("hidden from this role");
            });
        } finally {
            db.execute("DROP SEQUENCE private_seq");
        }
    }

    @Test
    void staysQuietWhenSequencesHaveRoomOrWereNeverUsed(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE roomy (id bigserial, small_id serial); CREATE SEQUENCE never_used AS smallint;"
                + " SELECT setval('roomy_small_id_seq', 1000)");
        try {
            CheckResult result = run(db.dataSource());

            assertThat(result.status()).isEqualTo(CheckStatus.PASS);
            assertThat(result.findings()).isEmpty();
            assertThat(result.summary()).startsWith("No sequence has used 75% of its range; the fullest, public.roomy_small_id_seq,");
        } finally {
            db.execute("DROP TABLE roomy; DROP SEQUENCE never_used");
        }
    }

    private static CheckResult run(DataSource dataSource) {
        return DbGuard.builder().dataSource(dataSource).checks(List.of(new SequenceExhaustionCheck()))
                .build().report().result("sequence-exhaustion").orElseThrow();
    }
}
