package io.ampora.dbguard.runbook.disk;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

@WithPostgres
class DiskUsageCheckTest {

    private static final long MB = 1024 * 1024;
    private static final String WEIRD = "\"My Schema\".\"Order \"\"Items\"\"\"";

    @BeforeAll
    static void fillTheDatabase(TestDatabase db) throws Exception {
        db.execute("""
                CREATE TABLE audit_event_archive (id bigint PRIMARY KEY, payload text);
                INSERT INTO audit_event_archive SELECT g, repeat('x', 500) FROM generate_series(1, 100000) g;
                CREATE SCHEMA "My Schema";
                CREATE TABLE "My Schema"."Order ""Items""\" (id bigint, day date NOT NULL, note text) PARTITION BY RANGE (day);
                CREATE TABLE "My Schema".items_2025 PARTITION OF "My Schema"."Order ""Items""\"
                    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
                CREATE TABLE "My Schema".items_2026 PARTITION OF "My Schema"."Order ""Items""\"
                    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
                INSERT INTO "My Schema"."Order ""Items""\"
                    SELECT g, DATE '2025-06-01' + (g % 400), repeat('y', 200) FROM generate_series(1, 20000) g;
                """);
    }

    @Test
    void listsAuditArchiveFirstWithItsSizeAndSumsPartitionsIntoTheirParent(TestDatabase db) throws Exception {
        CheckResult result = Checks.run(db.dataSource(), new DiskUsageCheck());

        assertThat(result.status()).isEqualTo(CheckStatus.PASS);
        Finding first = result.findings().get(0);
        assertThat(first.details()).containsEntry("relation", "public.audit_event_archive");
        assertThat((Long) first.details().get("bytes")).isGreaterThan(45 * MB);
        assertThat(first.message()).startsWith("public.audit_event_archive takes ").contains("MB");

        long partitionSum = Long.parseLong(db.queryString("""
                SELECT pg_total_relation_size('"My Schema".items_2025') + pg_total_relation_size('"My Schema".items_2026')
                """));
        assertThat(Checks.withDetail(result, "relation", WEIRD)).singleElement().satisfies(f -> {
            assertThat(f.details()).containsEntry("partitioned", true).containsEntry("partitions", 2L)
                    .containsEntry("bytes", partitionSum);
            assertThat(partitionSum).isGreaterThan(MB);
        });
        assertThat(result.findings()).noneMatch(f -> String.valueOf(f.details().get("relation")).contains("items_202"));
        assertThat(result.summary()).contains("Free space unknown", "DiskSpaceProvider", "audit_event_archive");
        assertThat(Checks.withDetail(result, "relation", "pg_wal")).hasSize(1);
    }

    @Test
    void analyzedTablesAreStillMeasuredExactlyAfterRankingByPageCounts(TestDatabase db) throws Exception {
        db.execute("ANALYZE");
        long exact = Long.parseLong(db.queryString("SELECT pg_total_relation_size('public.audit_event_archive')"));

        CheckResult result = Checks.run(db.dataSource(), new DiskUsageCheck());

        assertThat(result.findings().get(0).details()).containsEntry("relation", "public.audit_event_archive")
                .containsEntry("bytes", exact);
        assertThat(Checks.withDetail(result, "relation", WEIRD)).hasSize(1);
    }

    @Test
    void failsBelowTenPercentFreeAndSaysToBumpTheAuditRetention(TestDatabase db) {
        CheckResult result = Checks.run(db.dataSource(), new DiskUsageCheck(() -> new DiskSpace(5 * MB, 100 * MB)));

        assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(result.summary()).startsWith("5.0 MB free of 100 MB (5.0%)");
        assertThat(result.remediation()).startsWith("public.audit_event_archive is the largest")
                .contains("bump retention");
        assertThat(result.findings()).anySatisfy(f -> assertThat(f.details()).containsEntry("freePercent", 5.0));
    }

    @Test
    void warnsBelowTwentyPercentAndPassesAboveWithAProviderRegisteredThroughTheBuilder(TestDatabase db) {
        Report warn = DbGuard.builder().dataSource(db.dataSource())
                .addCheck(new DiskUsageCheck(() -> new DiskSpace(15 * MB, 100 * MB))).build()
                .report(List.of("disk-usage"));
        CheckResult ok = Checks.run(db.dataSource(), new DiskUsageCheck(() -> new DiskSpace(50 * MB, 100 * MB)));

        assertThat(warn.result("disk-usage").orElseThrow().status()).isEqualTo(CheckStatus.WARN);
        assertThat(ok.status()).isEqualTo(CheckStatus.PASS);
        assertThat(ok.summary()).contains("50 MB free of 100 MB");
    }

    @Test
    void failsOnTheFreeBytesFloorAndMeasuresADataPath(TestDatabase db) {
        CheckResult floor = Checks.run(db.dataSource(), new DiskUsageCheck(() -> new DiskSpace(50 * MB, 100 * MB)),
                "failFreeBytes", "60MB");
        CheckResult path = Checks.run(db.dataSource(), new DiskUsageCheck(), "dataPath", System.getProperty("java.io.tmpdir"));

        assertThat(floor.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(path.summary()).contains("free of").doesNotContain("Free space unknown");
    }

    @Test
    void failingProviderIsUnknownNotPass(TestDatabase db) {
        CheckResult result = Checks.run(db.dataSource(), new DiskUsageCheck(() -> {
            throw new IOException("metrics endpoint unreachable");
        }));

        assertThat(result.status()).isEqualTo(CheckStatus.UNKNOWN);
        assertThat(result.summary()).contains("Free space unknown", "metrics endpoint unreachable");
    }

    @Test
    void unprivilegedRoleGetsSizesAndIsToldWalSizeIsUnknown(TestDatabase db) throws Exception {
        db.createRole("disk_reader", "reader-pw", "");

        CheckResult result = Checks.run(db.dataSource("disk_reader", "reader-pw"), new DiskUsageCheck());

        assertThat(result.status()).isEqualTo(CheckStatus.PASS);
        assertThat(result.summary()).contains("WAL size unknown", "GRANT pg_monitor TO disk_reader");
        assertThat(result.findings().get(0).details()).containsEntry("relation", "public.audit_event_archive");
        assertThat(Checks.withDetail(result, "relation", "pg_wal")).isEmpty();
    }

    @Test
    void walIsTheRemedyWhenItIsLargerThanAnyTableAndAboveMaxWalSize() {
        List<DiskUsageCheck.Relation> largest = List.of(new DiskUsageCheck.Relation("public.t", "t", false, 0, 10 * MB));

        assertThat(DiskUsageCheck.remediation(largest, Optional.of(2048 * MB), 1024 * MB, List.of()))
                .startsWith("WAL is the largest (2.0 GB, above max_wal_size 1.0 GB) and nothing retains it")
                .contains("bump the WAL volume size");
        // WAL within max_wal_size is normal, even when larger than every table
        assertThat(DiskUsageCheck.remediation(largest, Optional.of(80 * MB), 1024 * MB, List.of()))
                .startsWith("Prune or archive public.t");
        assertThat(DiskUsageCheck.remediation(largest, Optional.empty(), 1024 * MB, List.of()))
                .startsWith("Prune or archive public.t");
        // something retains it: the fix is that, not a bigger volume
        assertThat(DiskUsageCheck.remediation(largest, Optional.of(2048 * MB), 1024 * MB, List.of(new WalRetention.Cause(
                "the WAL archiver", null, "The WAL archiver has been failing.", "Repair archive_command."))))
                .contains("because something keeps it: The WAL archiver has been failing. Repair archive_command.")
                .doesNotContain("bump the WAL volume");
    }

    @Test
    void freshDatabaseWithoutProviderPasses(TestDatabase db) throws Exception {
        try (TestDatabase fresh = TestDatabase.create(db.server(), DiskUsageCheckTest.class)) {
            CheckResult result = Checks.run(fresh.dataSource(), new DiskUsageCheck());

            assertThat(result.status()).isEqualTo(CheckStatus.PASS);
            assertThat(result.summary()).contains("Free space unknown");
        }
    }
}
