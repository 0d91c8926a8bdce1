package io.ampora.dbguard.runbook.disk;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checkpoints forced by WAL volume, for real: a server of its own with the smallest {@code max_wal_size} (32MB) and a
 * {@code checkpoint_timeout} of an hour, the counters reset, then a load writing some 200MB of WAL. And requested
 * checkpoints that more {@code max_wal_size} would not prevent ({@code CHECKPOINT} commands), which must not be blamed
 * on it.
 */
class CheckpointPressureCheckTest {

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void checkpointsForcedByWalVolumeWarnWithTheMaxWalSizeToSet(String version) throws Exception {
        PostgresServer server = PostgresServers.get(new ServerSpec(version, Map.of("max_wal_size", "32MB",
                "min_wal_size", "32MB", "checkpoint_timeout", "1h"), false));
        try (TestDatabase db = TestDatabase.create(server, CheckpointPressureCheckTest.class)) {
            boolean checkpointer = db.queryString("SELECT to_regclass('pg_catalog.pg_stat_checkpointer')") != null;
            boolean statWal = db.queryString("SELECT to_regclass('pg_catalog.pg_stat_wal')") != null;
            db.execute("SELECT pg_stat_reset_shared('" + (checkpointer ? "checkpointer" : "bgwriter") + "')"
                    + (statWal ? "; SELECT pg_stat_reset_shared('wal')" : ""));
            CheckResult quiet = Checks.run(db.dataSource(), new CheckpointPressureCheck(), "minCheckpoints", "5");
            assertThat(quiet.status()).as(quiet.toString()).isEqualTo(CheckStatus.PASS);
            assertThat(quiet.summary()).contains("too few to judge");

            db.execute("CREATE TABLE events (id bigint, body text);"
                    + " INSERT INTO events SELECT g, repeat('e', 200) FROM generate_series(1, 700000) g");

            CheckResult result = Checks.run(db.dataSource(), new CheckpointPressureCheck(), "minCheckpoints", "5");

            assertThat(result.status()).as(result.toString()).isEqualTo(CheckStatus.WARN);
            assertThat(result.summary()).contains("by WAL volume", "max_wal_size (32MB) is too small for this write rate");
            assertThat(result.findings()).singleElement().satisfies(f -> {
                assertThat((Long) f.details().get("walDrivenCheckpoints")).isGreaterThanOrEqualTo(5L);
                assertThat(f.details()).containsEntry("maxWalSize", "32MB").containsEntry("checkpointTimeout", "1h");
            });
            assertThat(result.remediation()).contains("ALTER SYSTEM SET max_wal_size = '", "SELECT pg_reload_conf();",
                    "disk-usage");
            if (statWal) {
                assertThat(result.remediation()).contains("The WAL statistics cover only the last",
                        "less than one checkpoint_timeout");
            } else {
                assertThat(result.remediation()).contains("e.g. double it: ALTER SYSTEM SET max_wal_size = '64MB'");
            }
        }
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void checkpointCommandsAreNotBlamedOnMaxWalSize(String version) throws Exception {
        PostgresServer server = PostgresServers.get(ServerSpec.defaults().onVersion(version));
        try (TestDatabase db = TestDatabase.create(server, CheckpointPressureCheckTest.class)) {
            boolean checkpointer = db.queryString("SELECT to_regclass('pg_catalog.pg_stat_checkpointer')") != null;
            db.execute("SELECT pg_stat_reset_shared('" + (checkpointer ? "checkpointer" : "bgwriter") + "')");
            for (int i = 0; i < 12; i++) {
                db.execute("CHECKPOINT");
            }
            // before 15 the statistics collector publishes the checkpointer's counters a moment later
            String requested = checkpointer ? "SELECT num_requested FROM pg_stat_checkpointer"
                    : "SELECT checkpoints_req FROM pg_stat_bgwriter";
            Checks.await("the 12 checkpoints counted", () -> Long.parseLong(db.queryString(requested)) >= 12);

            CheckResult result = Checks.run(db.dataSource(), new CheckpointPressureCheck());

            assertThat(result.status()).as(result.toString()).isEqualTo(CheckStatus.PASS);
            assertThat(result.summary()).contains("were requested", "of them at most by WAL volume");
        }
    }

    @org.junit.jupiter.api.Test
    void aDayOfWalStatisticsGivesTheMaxWalSizeFromTheRate() {
        CheckpointPressureCheck.Counters counters = new CheckpointPressureCheck.Counters(10, 90, null, 0,
                1L << 30, "1GB", "5min", 300, 0.9, true, true);
        // 120 GB a day is about 427 MB per 5 minutes; x (1 + 0.9) x 1.25 = 1014 MB, rounded up to 1GB
        String advice = CheckpointPressureCheck.advice(counters, 120L << 30, true, java.time.Duration.ofDays(1));
        assertThat(advice).startsWith("On average 427 MB of WAL is written per checkpoint_timeout (5min, over the"
                + " last ").contains("max_wal_size needs at least 1GB", "ALTER SYSTEM SET max_wal_size = '1GB'");
        assertThat(CheckpointPressureCheck.advice(counters, 240L << 30, true, java.time.Duration.ofDays(1)))
                .contains("ALTER SYSTEM SET max_wal_size = '2GB'");
    }

    @org.junit.jupiter.api.Test
    void suggestedSizesAreOnesAPersonWouldType() {
        assertThat(CheckpointPressureCheck.roundUp(10L << 20)).isEqualTo(64L << 20);
        assertThat(CheckpointPressureCheck.roundUp(1000L << 20)).isEqualTo(1024L << 20);
        assertThat(CheckpointPressureCheck.roundUp(1100L << 20)).isEqualTo(1536L << 20);
        assertThat(CheckpointPressureCheck.roundUp(1600L << 20)).isEqualTo(2048L << 20);
    }
}
