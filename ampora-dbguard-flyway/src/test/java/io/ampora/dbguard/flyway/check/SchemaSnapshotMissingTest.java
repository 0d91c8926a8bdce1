package io.ampora.dbguard.flyway.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.flyway.FlywayGuard;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, bug 1: the README configures {@code schemaSnapshotResource("db/schema.json")} while its migration
 * test writes the snapshot under {@code src/test/resources}, which the application's classpath does not
 * hold. That is a configuration error to name plainly, not "a bug in the check".
 */
@WithPostgres
class SchemaSnapshotMissingTest {

    private static final String SAFE = "classpath:db/demo/safe";

    @Test
    void snapshotResourceMissingFromTheClasspathSkipsNamingWhereItLookedAndWhereTheTestWritesIt(TestDatabase db) {
        FlywayChecksTest.migrate(db.dataSource(), "demo", SAFE); // session-level lock: the demo builds an index CONCURRENTLY
        FlywayGuard flyway = FlywayGuard.custom().locations(SAFE).schemas("demo")
                .schemaSnapshotResource("db/schema-only-in-src-test-resources.json").build();

        Report report = DbGuard.builder().dataSource(db.dataSource()).checks(flyway.checks()).build().report();

        CheckResult drift = report.result("schema-drift").orElseThrow();
        assertThat(drift.status()).as(drift.summary()).isEqualTo(CheckStatus.SKIP);
        assertThat(drift.summary())
                .contains("'db/schema-only-in-src-test-resources.json' is not on the classpath")
                .contains("src/test/resources/db/schema-only-in-src-test-resources.json")
                .contains("src/main/resources/db/schema-only-in-src-test-resources.json")
                .doesNotContain("bug");
        assertThat(drift.remediation()).doesNotContain("bug").contains("schemaSnapshot(Path");
        assertThat(report.status()).isNotEqualTo(CheckStatus.UNKNOWN);
    }

    @Test
    void snapshotFileThatDoesNotExistSkipsNamingTheAbsolutePath(TestDatabase db, @TempDir Path dir) {
        FlywayChecksTest.migrate(db.dataSource(), "demo2", SAFE);
        Path missing = dir.resolve("db/schema.json");
        FlywayGuard flyway = FlywayGuard.custom().locations(SAFE).schemas("demo2").schemaSnapshot(missing).build();

        CheckResult drift = DbGuard.builder().dataSource(db.dataSource()).checks(flyway.checks()).build().report()
                .result("schema-drift").orElseThrow();

        assertThat(drift.status()).as(drift.summary()).isEqualTo(CheckStatus.SKIP);
        assertThat(drift.summary()).contains(missing.toAbsolutePath().toString()).contains("does not exist");
    }

    @Test
    void snapshotThatIsNotASnapshotIsUnknownWithTheParseErrorNotABugReport(TestDatabase db, @TempDir Path dir)
            throws Exception {
        FlywayChecksTest.migrate(db.dataSource(), "demo3", SAFE);
        Path garbage = Files.writeString(dir.resolve("schema.json"), "{\"format\": 99}");
        FlywayGuard flyway = FlywayGuard.custom().locations(SAFE).schemas("demo3").schemaSnapshot(garbage).build();

        CheckResult drift = DbGuard.builder().dataSource(db.dataSource()).checks(flyway.checks()).build().report()
                .result("schema-drift").orElseThrow();

        assertThat(drift.status()).isEqualTo(CheckStatus.UNKNOWN);
        assertThat(drift.summary()).contains("not a schema snapshot").contains(garbage.toAbsolutePath().toString());
        assertThat(drift.remediation()).doesNotContain("bug").contains("SchemaSnapshot");
    }
}
