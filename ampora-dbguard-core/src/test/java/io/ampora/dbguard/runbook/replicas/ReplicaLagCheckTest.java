package io.ampora.dbguard.runbook.replicas;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.StreamingReplica;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** replica-lag against a real hot standby streaming from an embedded primary (the build's default version). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplicaLagCheckTest {

    private StreamingReplica pair;

    @BeforeAll
    void startReplica() throws Exception {
        pair = StreamingReplica.start(PostgresServers.defaultMajor());
        pair.primary().adminExecute("CREATE TABLE published_config (id serial PRIMARY KEY, body text)");
        pair.awaitReplayed(Duration.ofSeconds(10));
    }

    @AfterAll
    void stopReplica() {
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void passesWithZeroLagWhenReplicaHasReplayedEverything() throws Exception {
        pair.primary().adminExecute("INSERT INTO published_config (body) VALUES ('v1')");
        pair.awaitReplayed(Duration.ofSeconds(10));

        CheckResult result = replicaLag(pair.standby().adminDataSource("postgres"), Map.of());

        assertThat(result.status()).as(result.toString()).isEqualTo(CheckStatus.PASS);
        assertThat(result.summary()).contains("lag 0ms", "0 B received but not replayed", "WAL receiver streaming from",
                "replay not paused");
        assertThat(result.findings()).isEmpty();
    }

    @Test
    void reportsLagAndPausedReplayWhileReplayIsPausedAndClearsAfterResume() throws Exception {
        pair.primary().adminExecute("INSERT INTO published_config (body) VALUES ('before pause')");
        pair.awaitReplayed(Duration.ofSeconds(10));
        pair.standby().adminExecute("SELECT pg_wal_replay_pause()");
        try {
            awaitPaused();
            CheckResult pausedIdle = replicaLag(pair.standby().adminDataSource("postgres"), Map.of());
            assertThat(pausedIdle.status()).as(pausedIdle.toString()).isEqualTo(CheckStatus.WARN);
            assertThat(pausedIdle.summary()).contains("lag 0ms", "WAL replay is paused");
            assertThat(finding(pausedIdle, "WAL replay is paused").message())
                    .contains("just published a config but it does not appear in the list");

            Thread.sleep(400);
            pair.primary().adminExecute("INSERT INTO published_config (body) SELECT 'published ' || g"
                    + " FROM generate_series(1, 1000) g");
            awaitReceived();

            CheckResult result = replicaLag(pair.standby().adminDataSource("postgres"),
                    Map.of("replica-lag.warnAfter", "300ms", "replica-lag.failAfter", "1h"));

            assertThat(result.status()).as(result.toString()).isEqualTo(CheckStatus.WARN);
            assertThat(result.summary()).contains("WAL replay is paused");
            Finding lag = finding(result, "behind the primary");
            assertThat((Double) lag.details().get("lagSeconds")).isGreaterThanOrEqualTo(0.3);
            assertThat((Long) lag.details().get("bytesBehind")).isPositive();
            assertThat(lag.details()).containsEntry("replayPaused", true).containsKeys("receiveLsn", "replayLsn",
                    "lastReplayAt");
            assertThat(lag.message()).contains("just published a config but it does not appear in the list");
            Finding paused = finding(result, "WAL replay is paused");
            assertThat(paused.details()).containsEntry("pauseState", "paused");
            assertThat(result.remediation()).contains("SELECT pg_wal_replay_resume()", "audit writes must go to the primary")
                    .doesNotContain("Find why replay falls behind");

            CheckResult failing = replicaLag(pair.standby().adminDataSource("postgres"),
                    Map.of("replica-lag.warnAfter", "100ms", "replica-lag.failAfter", "300ms"));
            assertThat(failing.status()).isEqualTo(CheckStatus.FAIL);
        } finally {
            pair.standby().adminExecute("SELECT pg_wal_replay_resume()");
        }

        CheckResult after = awaitStatus(CheckStatus.PASS, Map.of("replica-lag.warnAfter", "300ms"), Duration.ofSeconds(15));
        assertThat(after.summary()).contains("lag 0ms", "replay not paused");
        assertThat(StreamingReplica.queryOne(pair.standby(), "SELECT count(*) FROM published_config"))
                .isEqualTo(StreamingReplica.queryOne(pair.primary(), "SELECT count(*) FROM published_config"));
    }

    @Test
    void reportsLagWhileAQueryOnTheReplicaHoldsBackReplay() throws Exception {
        pair.primary().adminExecute("CREATE TABLE dashboard_rows (id int); INSERT INTO dashboard_rows VALUES (1)");
        pair.awaitReplayed(Duration.ofSeconds(10));
        try (Connection dashboard = pair.standby().adminDataSource("postgres").getConnection()) {
            dashboard.setAutoCommit(false);
            try (Statement st = dashboard.createStatement()) {
                st.executeQuery("SELECT count(*) FROM dashboard_rows").close();
            }
            Thread.sleep(400);
            // The primary's ACCESS EXCLUSIVE lock is replayed on the replica, where it waits for the
            // dashboard's transaction (up to max_standby_streaming_delay, 30s by default).
            pair.primary().adminExecute("ALTER TABLE dashboard_rows ADD COLUMN published boolean");

            CheckResult result = awaitStatus(CheckStatus.WARN,
                    Map.of("replica-lag.warnAfter", "300ms", "replica-lag.failAfter", "1h"), Duration.ofSeconds(10));

            Finding lag = finding(result, "behind the primary");
            assertThat(lag.details()).containsEntry("replayPaused", false);
            assertThat((Double) lag.details().get("lagSeconds")).isGreaterThanOrEqualTo(0.3);
            assertThat(result.summary()).contains("WAL receiver streaming", "replay not paused");
            int dashboardPid;
            try (Statement st = dashboard.createStatement();
                 java.sql.ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                dashboardPid = rs.getInt(1);
            }
            Finding blocker = finding(result, "waits for pid " + dashboardPid);
            assertThat(blocker.details()).containsEntry("state", "idle in transaction")
                    .containsEntry("relation", "dashboard_rows")
                    .containsEntry("query", "SELECT count(*) FROM dashboard_rows")
                    .containsEntry("maxStandbyStreamingDelayMs", 30_000L);
            assertThat(result.remediation()).contains("pid " + dashboardPid, "pg_terminate_backend");
            dashboard.rollback();
        }
        assertThat(awaitStatus(CheckStatus.PASS, Map.of("replica-lag.warnAfter", "300ms"), Duration.ofSeconds(15))
                .summary()).contains("lag 0ms");
    }

    @Test
    void failsWhenWalReceiverStopsStreamingAlthoughTheLagFormulaReadsZero() throws Exception {
        pair.awaitReplayed(Duration.ofSeconds(10));
        pair.stopPrimary();
        try {
            CheckResult result = awaitStatus(CheckStatus.FAIL, Map.of(), Duration.ofSeconds(20));

            assertThat(result.summary()).contains("lag 0ms");
            assertThat(result.findings()).anySatisfy(f -> assertThat(f.message())
                    .containsAnyOf("not streaming", "No WAL receiver runs")
                    .contains("frozen at the last replayed transaction"));
            assertThat(result.remediation()).contains("primary_conninfo");
        } finally {
            pair.startPrimary();
        }
        assertThat(awaitStatus(CheckStatus.PASS, Map.of(), Duration.ofSeconds(20)).summary()).contains("streaming");
    }

    @Test
    void cannotVouchForStreamingWhenTheRoleCannotSeeTheWalReceiver() throws Exception {
        pair.primary().adminExecute("DROP ROLE IF EXISTS lag_reader; CREATE ROLE lag_reader LOGIN");
        pair.awaitReplayed(Duration.ofSeconds(10));

        CheckResult result = replicaLag(pair.standby().dataSource("postgres", "lag_reader", ""), Map.of());

        assertThat(result.status()).as(result.toString()).isEqualTo(CheckStatus.UNKNOWN);
        assertThat(finding(result, "hidden from lag_reader").details())
                .containsEntry("grant", "GRANT pg_read_all_stats TO lag_reader");

        pair.primary().adminExecute("GRANT pg_read_all_stats TO lag_reader");
        pair.awaitReplayed(Duration.ofSeconds(10));
        assertThat(replicaLag(pair.standby().dataSource("postgres", "lag_reader", ""), Map.of()).status())
                .isEqualTo(CheckStatus.PASS);
    }

    private CheckResult replicaLag(DataSource replica, Map<String, String> settings) {
        return ReplicaLagChecks.run(pair.primary().adminDataSource("postgres"), replica, settings);
    }

    private CheckResult awaitStatus(CheckStatus wanted, Map<String, String> settings, Duration timeout)
            throws InterruptedException {
        return Await.value("replica-lag " + wanted, timeout,
                () -> replicaLag(pair.standby().adminDataSource("postgres"), settings), r -> r.status() == wanted);
    }

    private void awaitPaused() throws InterruptedException {
        PostgresServer standby = pair.standby();
        Await.until("WAL replay paused", Duration.ofSeconds(5),
                () -> "t".equals(StreamingReplica.queryOne(standby, "SELECT pg_is_wal_replay_paused()")));
        if (standby.majorVersion() >= 14) {
            Await.until("the pause state 'paused'", Duration.ofSeconds(5),
                    () -> "paused".equals(StreamingReplica.queryOne(standby, "SELECT pg_get_wal_replay_pause_state()")));
        }
    }

    /** Waits until the standby has received (not replayed) everything the primary wrote. */
    private void awaitReceived() throws InterruptedException {
        String target = StreamingReplica.queryOne(pair.primary(), "SELECT pg_current_wal_insert_lsn()::text");
        Await.until("the standby to receive up to " + target, Duration.ofSeconds(10), () -> "t".equals(
                StreamingReplica.queryOne(pair.standby(), "SELECT pg_last_wal_receive_lsn() >= '" + target + "'::pg_lsn")));
    }

    private static Finding finding(CheckResult result, String text) {
        return result.findings().stream().filter(f -> f.message().contains(text)).findFirst()
                .orElseThrow(() -> new AssertionError("no finding containing '" + text + "' in " + result));
    }

    /** Runs only replica-lag through a real guard. */
    static final class ReplicaLagChecks {
        private ReplicaLagChecks() {
        }

        static CheckResult run(DataSource primary, DataSource replica, Map<String, String> settings) {
            DbGuard.Builder builder = DbGuard.builder().dataSource(primary).only(List.of("replica-lag"));
            if (replica != null) {
                builder.replicaDataSource(replica);
            }
            settings.forEach(builder::set);
            return builder.build().report().result("replica-lag").orElseThrow();
        }
    }
}
