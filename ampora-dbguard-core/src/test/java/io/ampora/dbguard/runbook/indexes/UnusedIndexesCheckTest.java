package io.ampora.dbguard.runbook.indexes;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.StreamingReplica;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@WithPostgres
class UnusedIndexesCheckTest {

    @Test
    void skipsWhileTheStatisticsAreYoungerThanMinStatisticsAge(TestDatabase db) throws Exception {
        CheckResult result = Checks.run(db.dataSource(), new UnusedIndexesCheck(), "minStatisticsAge", "3650d");

        assertThat(result.status()).isEqualTo(CheckStatus.SKIP);
        assertThat(result.summary()).contains("less than minStatisticsAge (3650d", "unused-indexes.minStatisticsAge");
    }

    @Test
    void reportsTheNeverScannedIndexButNotScannedUniqueOrConstraintOnes(TestDatabase db) throws Exception {
        db.execute("""
                CREATE SCHEMA "Idx Schema";
                CREATE TABLE "Idx Schema"."Order ""Items""\" (id bigint PRIMARY KEY, sku text CONSTRAINT items_sku_key UNIQUE,
                    customer bigint, note text, code text NOT NULL);
                CREATE INDEX "used idx" ON "Idx Schema"."Order ""Items""\" (customer);
                CREATE INDEX "unused idx" ON "Idx Schema"."Order ""Items""\" (note);
                CREATE UNIQUE INDEX "unique idx" ON "Idx Schema"."Order ""Items""\" (code);
                ALTER TABLE "Idx Schema"."Order ""Items""\" REPLICA IDENTITY USING INDEX "unique idx";
                INSERT INTO "Idx Schema"."Order ""Items""\" SELECT g, 'sku' || g, g % 10, 'n', 'c' || g FROM generate_series(1, 1000) g;
                """);
        scan(db.dataSource(), "SELECT count(*) FROM \"Idx Schema\".\"Order \"\"Items\"\"\" WHERE customer = 3");
        Checks.await("the scan in the statistics", () -> Long.parseLong(db.queryString(
                "SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'used idx'")) > 0);

        CheckResult result = Checks.run(db.dataSource(), new UnusedIndexesCheck(), "minStatisticsAge", "1ms");

        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        List<Object> reported = result.findings().stream()
                .filter(f -> String.valueOf(f.details().get("table")).startsWith("\"Idx Schema\""))
                .map(f -> f.details().get("index")).toList();
        assertThat(reported).containsExactly("\"Idx Schema\".\"unused idx\"");
        assertThat(Checks.withDetail(result, "index", "\"Idx Schema\".\"unused idx\"")).singleElement().satisfies(f -> {
            assertThat(f.details()).containsEntry("fix", "DROP INDEX CONCURRENTLY \"Idx Schema\".\"unused idx\";")
                    .containsEntry("table", "\"Idx Schema\".\"Order \"\"Items\"\"\"")
                    .containsKeys("sizeBytes", "size", "statisticsAge");
            assertThat((Long) f.details().get("sizeBytes")).isPositive();
        });
        assertThat(result.summary()).contains("No read replica is configured");
    }

    @Test
    void partitionedIndexIsJudgedOnceOnAllItsPartitionsScans(TestDatabase db) throws Exception {
        db.execute("""
                CREATE TABLE parted_scans (id bigint, tenant int, a int, b int) PARTITION BY LIST (tenant);
                CREATE TABLE parted_scans_1 PARTITION OF parted_scans FOR VALUES IN (1);
                CREATE TABLE parted_scans_2 PARTITION OF parted_scans FOR VALUES IN (2);
                CREATE INDEX parted_scans_a ON parted_scans (a);
                CREATE INDEX parted_scans_b ON parted_scans (b);
                INSERT INTO parted_scans SELECT g, 1 + g % 2, g, g FROM generate_series(1, 2000) g;
                ANALYZE parted_scans;
                """);
        // only partition 2's index on a is scanned
        scan(db.dataSource(), "SELECT count(*) FROM parted_scans WHERE tenant = 2 AND a = 10");
        Checks.await("the scan in the statistics", () -> Long.parseLong(db.queryString(
                "SELECT coalesce(sum(idx_scan), 0) FROM pg_stat_user_indexes WHERE relname = 'parted_scans_2'")) > 0);

        CheckResult result = Checks.run(db.dataSource(), new UnusedIndexesCheck(), "minStatisticsAge", "1ms");

        assertThat(result.findings()).filteredOn(f -> String.valueOf(f.details().get("table")).startsWith("public.parted_scans"))
                .singleElement().satisfies(f -> assertThat(f.details()).containsEntry("index", "public.parted_scans_b")
                        .containsEntry("table", "public.parted_scans")
                        .containsEntry("partitioned", true)
                        .containsEntry("fix", "DROP INDEX public.parted_scans_b;"));
    }

    @Test
    void indexOnlyReplicaReadsUseIsNotUnusedWhenTheReplicaIsConfigured() throws Exception {
        try (StreamingReplica pair = StreamingReplica.start(PostgresServers.defaultMajor())) {
            pair.primary().adminExecute("""
                    CREATE TABLE replica_read (id bigint PRIMARY KEY, report_key int, other int);
                    CREATE INDEX replica_read_report ON replica_read (report_key);
                    CREATE INDEX replica_read_other ON replica_read (other);
                    INSERT INTO replica_read SELECT g, g % 100, g FROM generate_series(1, 5000) g;
                    ANALYZE replica_read;
                    """);
            pair.awaitReplayed(Duration.ofSeconds(20));
            DataSource primary = pair.primary().adminDataSource("postgres");
            DataSource standby = pair.standby().adminDataSource("postgres");
            scan(standby, "SELECT count(*) FROM replica_read WHERE report_key = 7");
            Checks.await("the replica's scan in its statistics", () -> "t".equals(StreamingReplica.queryOne(pair.standby(),
                    "SELECT idx_scan > 0 FROM pg_stat_user_indexes WHERE indexrelname = 'replica_read_report'")));

            CheckResult primaryOnly = unused(primary, null);
            CheckResult withReplica = unused(primary, standby);

            assertThat(indexes(primaryOnly)).contains("public.replica_read_report", "public.replica_read_other");
            assertThat(indexes(withReplica)).contains("public.replica_read_other").doesNotContain("public.replica_read_report");
            assertThat(withReplica.summary()).contains("The read replica's scans were counted too.");
        }
    }

    private static CheckResult unused(DataSource primary, DataSource replica) {
        DbGuard.Builder builder = DbGuard.builder().dataSource(primary).checks(List.of(new UnusedIndexesCheck()))
                .set("unused-indexes.minStatisticsAge", "1ms");
        if (replica != null) {
            builder.replicaDataSource(replica);
        }
        return builder.build().report().result("unused-indexes").orElseThrow();
    }

    private static List<Object> indexes(CheckResult result) {
        return result.findings().stream().map(f -> f.details().get("index")).toList();
    }

    /** Runs a query with sequential scans off, in its own session, so an index scan is counted. */
    private static void scan(DataSource dataSource, String sql) throws Exception {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            st.execute("SET enable_seqscan = off");
            try (ResultSet rs = st.executeQuery(sql)) {
                rs.next();
            }
        }
    }
}
