package io.ampora.dbguard.runbook.replicas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.DbGuardConfigurationException;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** replica-lag when the configured replica is not a usable standby: none, the primary itself, unreachable. */
@WithPostgres
class ReplicaLagConfigurationTest {

    @Test
    void skipsWithTheReasonWhenNoReplicaIsConfigured(TestDatabase db) {
        CheckResult result = ReplicaLagCheckTest.ReplicaLagChecks.run(db.dataSource(), null, Map.of());

        assertThat(result.status()).isEqualTo(CheckStatus.SKIP);
        assertThat(result.summary()).startsWith("No read replica is configured").contains("replicaDataSource(...)",
                "--replica-jdbc-url");
    }

    @Test
    void failsWhenTheConfiguredReplicaIsThePrimaryItself(TestDatabase db) {
        CheckResult result = ReplicaLagCheckTest.ReplicaLagChecks.run(db.dataSource(), db.dataSource(), Map.of());

        assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(result.summary()).contains("is not a standby (not in recovery)", "it is the primary itself");
        Finding finding = result.findings().get(0);
        assertThat(finding.message()).contains("pg_is_in_recovery() is false",
                "reads and writes hit the same server by accident");
        assertThat(finding.details()).containsEntry("sameAsPrimary", true)
                .containsEntry("serverPort", db.server().port())
                .containsEntry("database", db.name())
                .containsEntry("standbys", 0L)
                .containsKey("startedAt");
        assertThat(result.remediation()).contains("streaming standby");
    }

    @Test
    void failsWhenTheConfiguredReplicaIsAnotherPrimary(TestDatabase db) {
        CheckResult result = ReplicaLagCheckTest.ReplicaLagChecks.run(db.dataSource(),
                db.server().adminDataSource("postgres"), Map.of());

        assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(result.summary()).contains("it is a primary.");
        assertThat(result.findings().get(0).details()).containsEntry("sameAsPrimary", false)
                .containsEntry("database", "postgres");
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "16", "17", "18"})
    void failsOnAPrimaryConfiguredAsReplicaOnEverySupportedVersion(String version) {
        PostgresServer server = PostgresServers.get(ServerSpec.defaults().onVersion(version));

        CheckResult result = ReplicaLagCheckTest.ReplicaLagChecks.run(server.adminDataSource("postgres"),
                server.adminDataSource("postgres"), Map.of());

        assertThat(result.status()).as(result.toString()).isEqualTo(CheckStatus.FAIL);
        assertThat(result.findings().get(0).details()).containsEntry("sameAsPrimary", true)
                .containsEntry("serverPort", server.port());
    }

    @Test
    void diagnosesAnUnreachableReplicaInsteadOfSkippingIt(TestDatabase db) throws IOException {
        int port = freePort();
        CheckResult result = guard(db).replicaJdbcUrl("jdbc:postgresql://localhost:" + port + "/app")
                .build().report().result("replica-lag").orElseThrow();

        assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(result.summary()).isEqualTo("Cannot connect to the read replica at localhost:" + port
                + ": nothing is listening at the database's host and port.");
        assertThat(result.findings().get(0).details()).containsEntry("cause", "CONNECTION_REFUSED")
                .containsEntry("host", "localhost").containsEntry("port", port).containsEntry("database", "app");
        assertThat(result.remediation()).contains("nc -z -v", "send reads to the primary");
    }

    @Test
    void replicaJdbcUrlKeepsItsPasswordOutOfTheReport(TestDatabase db) throws IOException {
        int port = freePort();
        DbGuard guard = guard(db)
                .replicaJdbcUrl("jdbc:postgresql://localhost:" + port + "/app?password=Replica-S3cret")
                .replicaUser("reader")
                .replicaPassword("Other-S3cret")
                .build();

        CheckResult result = guard.report().result("replica-lag").orElseThrow();

        assertThat(result.toString()).doesNotContain("Replica-S3cret", "Other-S3cret");
        assertThat(result.findings().get(0).details()).containsEntry("user", "reader")
                .containsEntry("url", "jdbc:postgresql://localhost:" + port + "/app?password=****");
        assertThat(guard.options().replicaConnection().port()).isEqualTo(port);
    }

    @Test
    void replicaJdbcUrlUsesThePrimaryCredentialsAndReachesARealServer(TestDatabase db) {
        CheckResult result = DbGuard.builder().jdbcUrl(db.jdbcUrl()).user(db.server().adminUser())
                .replicaJdbcUrl(db.jdbcUrl()).only(List.of("replica-lag")).build()
                .report().result("replica-lag").orElseThrow();

        assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(result.summary()).contains("it is the primary itself");
    }

    @Test
    void rejectsBothReplicaDataSourceAndReplicaJdbcUrl(TestDatabase db) {
        assertThatThrownBy(() -> guard(db).replicaDataSource(db.dataSource()).replicaJdbcUrl(db.jdbcUrl()).build())
                .isInstanceOf(DbGuardConfigurationException.class)
                .hasMessageContaining("either replicaDataSource or replicaJdbcUrl");
        assertThatThrownBy(() -> guard(db).replicaJdbcUrl("postgres://localhost/app?password=Zz9-secret").build())
                .isInstanceOf(DbGuardConfigurationException.class)
                .hasMessageContaining("replicaJdbcUrl")
                .hasMessageNotContaining("Zz9-secret");
    }

    private static DbGuard.Builder guard(TestDatabase db) {
        return DbGuard.builder().dataSource(db.dataSource()).only(List.of("replica-lag"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
