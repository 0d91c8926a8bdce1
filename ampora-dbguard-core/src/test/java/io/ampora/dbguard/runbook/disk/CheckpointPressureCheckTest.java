package io.ampora.dbguard.runbook.disk;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checkpoints forced by WAL volume, for real: a server of its own with the smallest {@code max_wal_size} (32MB) and a
 * {@code checkpoint_timeout} of an hour, the counters reset, then a load writing some 200MB of WAL. And requested
 * checkpoints that more {@code max_wal_size} would not prevent ({@code CHECKPOINT} commands), which must not be blamed
 * on it. The window: one check object kept across runs, as the monitor keeps it, with a clock the test moves so that
 * an hour passes between runs without waiting for it; the counters and the WAL are real.
 */
class CheckpointPressureCheckTest {

    private static final Map<String, String> SMALL_MAX_WAL_SIZE = Map.of("max_wal_size", "32MB",
            "min_wal_size", "32MB", "checkpoint_timeout", "1h");

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void aWalStormBeforeTheWindowNoLongerWarnsThoughTheCountersSinceTheResetStillWould(String version)
            throws Exception {
        PostgresServer server = PostgresServers.get(new ServerSpec(version, SMALL_MAX_WAL_SIZE, false));
        try (TestDatabase db = TestDatabase.create(server, CheckpointPressureCheckTest.class)) {
            resetCounters(db);
            walStorm(db);
            ManualClock clock = new ManualClock();
            CheckpointPressureCheck monitored = new CheckpointPressureCheck();
            CheckResult duringTheStorm = Checks.run(db.dataSource(), monitored, clock, "minCheckpoints", "5");
            assertThat(duringTheStorm.status()).as(duringTheStorm.toString()).isEqualTo(CheckStatus.WARN);
            assertThat(duringTheStorm.summary()).contains("since the counters were reset at",
                    "Judged since the reset: this guard has no earlier reading of this server's counters;"
                            + " the check judges the last 1h00m once it has a reading that old.");

            // an hour of quiet but for a few checkpoints no WAL volume forced
            long requested = requested(db);
            for (int i = 0; i < 6; i++) {
                db.execute("CHECKPOINT");
            }
            Checks.await("the 6 checkpoints counted", () -> requested(db) >= requested + 6);
            clock.advance(Duration.ofMinutes(61));

            CheckResult anHourLater = Checks.run(db.dataSource(), monitored, clock, "minCheckpoints", "5");

            assertThat(anHourLater.status()).as(anHourLater.toString()).isEqualTo(CheckStatus.PASS);
            assertThat(anHourLater.summary()).contains("checkpoints in the last 1h01m were requested",
                    "of them at most by WAL volume", "written in that period").doesNotContain("Judged since the reset");
            CheckResult sinceTheReset = Checks.run(db.dataSource(), new CheckpointPressureCheck(), clock,
                    "minCheckpoints", "5");
            assertThat(sinceTheReset.status()).as("the same counters judged since their reset: " + sinceTheReset)
                    .isEqualTo(CheckStatus.WARN);
        }
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void aWalStormInsideTheWindowWarnsNamingTheWindowWithTheMaxWalSizeFromItsRate(String version) throws Exception {
        PostgresServer server = PostgresServers.get(new ServerSpec(version, SMALL_MAX_WAL_SIZE, false));
        try (TestDatabase db = TestDatabase.create(server, CheckpointPressureCheckTest.class)) {
            resetCounters(db);
            ManualClock clock = new ManualClock();
            CheckpointPressureCheck monitored = new CheckpointPressureCheck();
            CheckResult before = Checks.run(db.dataSource(), monitored, clock, "minCheckpoints", "5");
            assertThat(before.summary()).as(before.toString()).contains("too few to judge");
            walStorm(db);
            clock.advance(Duration.ofMinutes(61));

            CheckResult result = Checks.run(db.dataSource(), monitored, clock, "minCheckpoints", "5");

            assertThat(result.status()).as(result.toString()).isEqualTo(CheckStatus.WARN);
            assertThat(result.summary()).contains("checkpoints in the last 1h01m were requested", "by WAL volume",
                    "max_wal_size (32MB) is too small for this write rate").doesNotContain("Judged since the reset");
            assertThat(result.findings()).singleElement().satisfies(f -> {
                assertThat((Long) f.details().get("walDrivenCheckpoints")).isGreaterThanOrEqualTo(5L);
                assertThat((Long) f.details().get("walBytes")).isGreaterThan(100L << 20);
                assertThat(f.details()).containsEntry("period", "1h01m").containsEntry("windowed", true)
                        .containsEntry("timedCheckpoints", 0L);
            });
            // the window covers one checkpoint_timeout (1h): a size from its WAL rate, no reset needed afterwards
            assertThat(result.remediation()).contains("of WAL is written per checkpoint_timeout (1h, over the last 1h01m)",
                    "ALTER SYSTEM SET max_wal_size = '", "no counter reset needed");
        }
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void countersResetBetweenReadingsAreJudgedSinceTheResetAndSaySo(String version) throws Exception {
        PostgresServer server = PostgresServers.get(new ServerSpec(version, SMALL_MAX_WAL_SIZE, false));
        try (TestDatabase db = TestDatabase.create(server, CheckpointPressureCheckTest.class)) {
            ManualClock clock = new ManualClock();
            CheckpointPressureCheck monitored = new CheckpointPressureCheck();
            Checks.run(db.dataSource(), monitored, clock);
            clock.advance(Duration.ofMinutes(61));
            String resetBefore = statsReset(db);
            resetCounters(db);
            // before 15 the statistics collector publishes the reset a moment later
            Checks.await("the reset visible", () -> !String.valueOf(statsReset(db)).equals(String.valueOf(resetBefore)));

            CheckResult result = Checks.run(db.dataSource(), monitored, clock);

            assertThat(result.summary()).as(result.toString()).contains("checkpoints since the counters were reset at",
                    "Judged since the reset: the counters were reset (or the server restarted) after this guard's"
                            + " earlier readings; the check judges the last 1h00m once it has a reading that old.");
        }
    }

    @Test
    void keepsOnlyTheReadingsALaterRunCanNeedHoweverOftenItRuns() {
        Deque<CheckpointPressureCheck.Reading> history = new ArrayDeque<>();
        OffsetDateTime reset = OffsetDateTime.of(2026, 12, 1, 0, 0, 0, 0, ZoneOffset.UTC);
        Instant start = Instant.parse("2026-12-06T12:00:00Z");
        Duration window = Duration.ofHours(1);
        CheckpointPressureCheck.Baseline last = null;
        // every second for three hours
        for (int s = 0; s <= 3 * 3600; s++) {
            last = CheckpointPressureCheck.remember(history, new CheckpointPressureCheck.Reading(start.plusSeconds(s),
                    s / 300, s / 60, s * 1000L, reset), window);
            assertThat(history).hasSizeLessThanOrEqualTo(CheckpointPressureCheck.MAX_READINGS);
        }
        Instant now = start.plusSeconds(3 * 3600);
        assertThat(last.base()).as("a reading a window old kept").isNotNull();
        assertThat(Duration.between(last.base().at(), now)).isBetween(window, window.plusSeconds(8));
        assertThat(history.peekFirst()).isSameAs(last.base());

        CheckpointPressureCheck.Reading reading = new CheckpointPressureCheck.Reading(now.plusSeconds(1), 0, 0,
                3 * 3600 * 1000L, reset.plusDays(5));
        CheckpointPressureCheck.Baseline afterReset = CheckpointPressureCheck.remember(history, reading, window);
        assertThat(afterReset.base()).isNull();
        assertThat(afterReset.whyNot(reading, window)).contains("the counters were reset");
        assertThat(history).hasSize(1);
    }

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

    @Test
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

    @Test
    void suggestedSizesAreOnesAPersonWouldType() {
        assertThat(CheckpointPressureCheck.roundUp(10L << 20)).isEqualTo(64L << 20);
        assertThat(CheckpointPressureCheck.roundUp(1000L << 20)).isEqualTo(1024L << 20);
        assertThat(CheckpointPressureCheck.roundUp(1100L << 20)).isEqualTo(1536L << 20);
        assertThat(CheckpointPressureCheck.roundUp(1600L << 20)).isEqualTo(2048L << 20);
    }

    private static void walStorm(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE events (id bigint, body text);"
                + " INSERT INTO events SELECT g, repeat('e', 200) FROM generate_series(1, 700000) g");
        // waits for the checkpoint the storm left running; the counters reach the view a moment later before 15
        db.execute("CHECKPOINT");
        Checks.await("the storm's checkpoints counted", () -> requested(db) >= 5);
    }

    private static boolean checkpointer(TestDatabase db) throws Exception {
        return db.queryString("SELECT to_regclass('pg_catalog.pg_stat_checkpointer')") != null;
    }

    private static void resetCounters(TestDatabase db) throws Exception {
        boolean statWal = db.queryString("SELECT to_regclass('pg_catalog.pg_stat_wal')") != null;
        db.execute("SELECT pg_stat_reset_shared('" + (checkpointer(db) ? "checkpointer" : "bgwriter") + "')"
                + (statWal ? "; SELECT pg_stat_reset_shared('wal')" : ""));
    }

    private static long requested(TestDatabase db) throws Exception {
        return Long.parseLong(db.queryString(checkpointer(db) ? "SELECT num_requested FROM pg_stat_checkpointer"
                : "SELECT checkpoints_req FROM pg_stat_bgwriter"));
    }

    private static String statsReset(TestDatabase db) throws Exception {
        return db.queryString("SELECT stats_reset::text FROM pg_catalog."
                + (checkpointer(db) ? "pg_stat_checkpointer" : "pg_stat_bgwriter"));
    }

    /** A clock the test moves, so that the window passes without waiting for it. */
    private static final class ManualClock extends Clock {

        private volatile Instant now = Instant.now();

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
