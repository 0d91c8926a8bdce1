package io.ampora.dbguard.runbook.replicas;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.StreamingReplica;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** replication-standbys: the primary's view of the standbys streaming from it, on a real streaming replica. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplicationStandbysCheckTest {

    private StreamingReplica pair;

    @BeforeAll
    void startReplica() throws Exception {
        pair = StreamingReplica.start(PostgresServers.defaultMajor());
        pair.primary().adminExecute("CREATE TABLE rollout_state (id int)");
        pair.awaitReplayed(Duration.ofSeconds(10));
    }

    @AfterAll
    void stopReplica() {
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void listsTheStreamingStandbyWhenItIsCaughtUp() {
        CheckResult result = run(pair.primary().adminDataSource("postgres"), Map.of());

        assertThat(result.status()).as(result.toString()).isEqualTo(CheckStatus.PASS);
        assertThat(result.summary()).startsWith("1 standby(s) stream from this server: " + StreamingReplica.STANDBY_NAME)
                .contains("streaming", "0 B behind");
    }

    @Test
    void reportsTheStandbyFallingBehindWhileItsReplayIsPaused() throws Exception {
        pair.standby().adminExecute("SELECT pg_wal_replay_pause()");
        try {
            CheckResult result = Await.value("replication-standbys WARN", Duration.ofSeconds(10), () -> {
                pair.primary().adminExecute("INSERT INTO rollout_state SELECT generate_series(1, 100)");
                return run(pair.primary().adminDataSource("postgres"),
                        Map.of("replication-standbys.warnAfter", "300ms", "replication-standbys.failAfter", "1h"));
            }, r -> r.status() == CheckStatus.WARN);

            assertThat(result.status()).as(String.valueOf(result)).isEqualTo(CheckStatus.WARN);
            Finding finding = result.findings().get(0);
            assertThat(finding.message()).contains(StreamingReplica.STANDBY_NAME, "behind this primary",
                    "just published a config");
            assertThat(finding.details()).containsEntry("applicationName", StreamingReplica.STANDBY_NAME)
                    .containsEntry("state", "streaming");
            assertThat((Double) finding.details().get("replayLagSeconds")).isGreaterThanOrEqualTo(0.3);
            assertThat((Long) finding.details().get("bytesBehind")).isPositive();
        } finally {
            pair.standby().adminExecute("SELECT pg_wal_replay_resume()");
        }
        pair.awaitReplayed(Duration.ofSeconds(10));
    }

    @Test
    void cannotSeeTheStandbysStateWithoutPgReadAllStats() throws Exception {
        pair.primary().adminExecute("DROP ROLE IF EXISTS standby_watcher; CREATE ROLE standby_watcher LOGIN");

        CheckResult result = run(pair.primary().dataSource("postgres", "standby_watcher", ""), Map.of());

        assertThat(result.status()).as(result.toString()).isEqualTo(CheckStatus.UNKNOWN);
        assertThat(result.findings().get(0).details()).containsEntry("hiddenStandbys", 1)
                .containsEntry("grant", "GRANT pg_read_all_stats TO standby_watcher");
    }

    @Test
    void failsWhenAReplicaIsConfiguredButNoStandbyStreams() throws IOException {
        PostgresServer lonePrimary = PostgresServers.get(ServerSpec.defaults());
        DbGuard guard = DbGuard.builder().dataSource(lonePrimary.adminDataSource("postgres"))
                .replicaJdbcUrl("jdbc:postgresql://localhost:" + freePort() + "/app")
                .only(List.of("replication-standbys")).build();

        CheckResult result = guard.report().result("replication-standbys").orElseThrow();

        assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(result.summary()).contains("no standby streams from this server");
        assertThat(result.findings().get(0).details()).containsEntry("standbys", 0);
    }

    @Test
    void skipsWhenNothingStreamsAndNoReplicaIsConfigured() {
        PostgresServer lonePrimary = PostgresServers.get(ServerSpec.defaults());

        CheckResult result = run(lonePrimary.adminDataSource("postgres"), Map.of());

        assertThat(result.status()).isEqualTo(CheckStatus.SKIP);
        assertThat(result.summary()).isEqualTo("No standby streams from this server and no read replica is configured.");
    }

    private static CheckResult run(DataSource primary, Map<String, String> settings) {
        DbGuard.Builder builder = DbGuard.builder().dataSource(primary).only(List.of("replication-standbys"));
        settings.forEach(builder::set);
        return builder.build().report().result("replication-standbys").orElseThrow();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
