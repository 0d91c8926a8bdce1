package io.ampora.dbguard.runbook.replicas;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.StreamingReplica;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A real streaming replica on the oldest and newest supported PostgreSQL: 13 has no
 * pg_get_wal_replay_pause_state(), so the paused state comes from pg_is_wal_replay_paused() there; the
 * replica session holding back replay is found through pg_locks on both.
 */
class ReplicaLagVersionsTest {

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void seesCaughtUpAndPausedReplicaOnOldestAndNewestVersion(String version) throws Exception {
        try (StreamingReplica pair = StreamingReplica.start(version)) {
            pair.primary().adminExecute("CREATE TABLE audit_event (id int)");
            pair.awaitReplayed(Duration.ofSeconds(10));

            CheckResult caughtUp = run(pair, Map.of());
            assertThat(caughtUp.status()).as(caughtUp.toString()).isEqualTo(CheckStatus.PASS);
            assertThat(caughtUp.summary()).contains("lag 0ms", "WAL receiver streaming", "replay not paused");

            pair.standby().adminExecute("SELECT pg_wal_replay_pause()");
            try {
                Thread.sleep(400);
                pair.primary().adminExecute("INSERT INTO audit_event SELECT generate_series(1, 100)");
                CheckResult paused = awaitBehind(pair);
                assertThat(paused.status()).as(paused.toString()).isEqualTo(CheckStatus.WARN);
                assertThat(paused.summary()).contains("WAL replay is paused");
                assertThat(paused.findings()).anySatisfy(f -> assertThat(f.details()).containsEntry("pauseState", "paused"));
            } finally {
                pair.standby().adminExecute("SELECT pg_wal_replay_resume()");
            }
            pair.awaitReplayed(Duration.ofSeconds(10));

            try (Connection dashboard = pair.standby().adminDataSource("postgres").getConnection()) {
                dashboard.setAutoCommit(false);
                try (Statement st = dashboard.createStatement()) {
                    st.executeQuery("SELECT count(*) FROM audit_event").close();
                }
                Thread.sleep(400);
                pair.primary().adminExecute("TRUNCATE audit_event");
                CheckResult held = awaitBehind(pair);
                assertThat(held.findings()).anySatisfy(f -> assertThat(f.details())
                        .containsEntry("relation", "audit_event").containsEntry("state", "idle in transaction"));
                dashboard.rollback();
            }
        }
    }

    private static CheckResult awaitBehind(StreamingReplica pair) throws InterruptedException {
        return Await.value("the paused replica to show lag", Duration.ofSeconds(10),
                () -> run(pair, Map.of("replica-lag.warnAfter", "300ms", "replica-lag.failAfter", "1h")),
                r -> r.findings().stream().anyMatch(f -> f.message().contains("behind the primary")));
    }

    private static CheckResult run(StreamingReplica pair, Map<String, String> settings) {
        return ReplicaLagCheckTest.ReplicaLagChecks.run(pair.primary().adminDataSource("postgres"),
                pair.standby().adminDataSource("postgres"), settings);
    }
}
