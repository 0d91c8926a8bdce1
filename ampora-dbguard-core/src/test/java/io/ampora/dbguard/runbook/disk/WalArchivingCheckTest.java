package io.ampora.dbguard.runbook.disk;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A real archiver: archive_command 'false' fails every segment; repaired with a real copy into a directory.
 * archive_command is set with ALTER SYSTEM (a setting given on the server's command line would override it).
 */
@WithPostgres(settings = "archive_mode=on")
class WalArchivingCheckTest {

    @Test
    void failsWithTheFailedSegmentAndItsAgeThenPassesOnceTheCommandCopiesForReal(TestDatabase db) throws Exception {
        Path archive = Files.createTempDirectory("ampora-wal-archive");
        try {
            db.execute("ALTER SYSTEM SET archive_command = 'false'");
            db.execute("SELECT pg_reload_conf()");
            String failed = switchWal(db);
            Checks.await("the archiver to fail on " + failed, () -> "t".equals(db.queryString(
                    "SELECT last_failed_wal >= '" + failed + "' FROM pg_stat_archiver")));

            CheckResult result = Checks.run(db.dataSource(), new WalArchivingCheck());

            assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
            Finding f = result.findings().get(0);
            String lastFailed = (String) f.details().get("lastFailedWal");
            assertThat(lastFailed).isGreaterThanOrEqualTo(failed).hasSize(24);
            assertThat(f.details()).containsEntry("failing", true).containsEntry("archiveMode", "on");
            assertThat((Long) f.details().get("failedCount")).isPositive();
            assertThat((Long) f.details().get("readyFiles")).isPositive();
            assertThat((String) f.details().get("lastFailedAge")).isNotBlank();
            assertThat(f.message()).startsWith("The WAL archiver is failing: archiving " + lastFailed + " failed ")
                    .contains("WAL cannot be recycled", "backups / point-in-time recovery from the archive are behind");
            assertThat(result.remediation()).contains("Repair archive_command", lastFailed);

            // disk-usage names the archiver as what keeps the WAL
            CheckResult disk = Checks.run(db.dataSource(), new DiskUsageCheck());
            assertThat(Checks.withDetail(disk, "walRetainedBy", "the WAL archiver")).singleElement()
                    .satisfies(d -> assertThat(d.message()).contains("The WAL archiver has been failing on " + lastFailed,
                            "Repair archive_command"));
            assertThat(disk.summary()).contains("(retained by the WAL archiver ");

            // a role without pg_monitor still sees the failure, and is told what it cannot count
            db.createRole("archiver_reader", "reader-pw", "");
            CheckResult hidden = Checks.run(db.dataSource("archiver_reader", "reader-pw"), new WalArchivingCheck());
            assertThat(hidden.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(hidden.findings().get(0).details()).containsEntry("readyFiles", "unknown")
                    .containsEntry("grant", "How many WAL segments wait is unknown: archiver_reader may not run"
                            + " pg_ls_archive_statusdir() (GRANT pg_monitor TO archiver_reader).");

            db.execute("ALTER SYSTEM SET archive_command = 'cp %p " + archive + "/%f'");
            db.execute("SELECT pg_reload_conf()");
            String next = switchWal(db);
            // the copy exists before the archiver reports it: wait for the statistics to name it too (the earlier,
            // failed segment archived first already makes the last success newer than the last failure)
            Checks.await("the repaired archiver to archive " + next, () -> Files.exists(archive.resolve(next))
                    && "t".equals(db.queryString("SELECT last_archived_wal >= '" + next + "' AND NOT"
                    + " coalesce(last_failed_time > last_archived_time, false) FROM pg_stat_archiver")));

            CheckResult repaired = Checks.run(db.dataSource(), new WalArchivingCheck());

            assertThat(repaired.status()).as(repaired.toString()).isEqualTo(CheckStatus.PASS);
            assertThat(repaired.findings().get(0).details()).containsEntry("failing", false);
            assertThat((String) repaired.findings().get(0).details().get("lastArchivedWal")).isGreaterThanOrEqualTo(next);
            assertThat(repaired.summary()).startsWith("archive_mode is on; the archiver is not failing");
        } finally {
            db.execute("ALTER SYSTEM RESET archive_command");
            db.execute("SELECT pg_reload_conf()");
            try (Stream<Path> files = Files.walk(archive)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Writes something and switches to a new segment; returns the name of the segment just completed. */
    private static String switchWal(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE IF NOT EXISTS archived_rows (id int); INSERT INTO archived_rows VALUES (1)");
        return db.queryString("SELECT pg_walfile_name(pg_switch_wal())");
    }
}
