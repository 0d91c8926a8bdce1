package io.ampora.dbguard.runbook.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.DbGuardVerificationException;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.runbook.indexes.UnusedIndexesCheck;
import io.ampora.dbguard.runbook.queries.VacuumHealthCheck;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.StreamingReplica;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The application's own DataSource reaches a standby: after a failover the URL, DNS name or virtual IP still
 * names the old primary, or a multi-host URL lets pgjdbc pick any host. It connects, and every write fails
 * with SQLSTATE 25006. A guard on it must say so, and the checks whose evidence a standby does not have
 * (its statistics count only its own activity) must not pass or advise on it.
 */
class StandbyAsPrimaryTest {

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void failsWhenTheApplicationsDatabaseIsAStandby(String version) throws Exception {
        try (StreamingReplica pair = StreamingReplica.start(version)) {
            pair.primary().adminExecute("""
                    CREATE TABLE orders (id bigint PRIMARY KEY, customer int, note text) WITH (autovacuum_enabled = false);
                    CREATE INDEX orders_customer ON orders (customer);
                    INSERT INTO orders SELECT g, g % 500, 'n' FROM generate_series(1, 20000) g;
                    ANALYZE orders;
                    DELETE FROM orders WHERE id % 2 = 0;
                    """);
            try (Connection app = pair.primary().adminDataSource("postgres").getConnection(); Statement st = app.createStatement()) {
                st.execute("SET enable_seqscan = off");
                st.executeQuery("SELECT count(*) FROM orders WHERE customer = 7").close();
            }
            pair.awaitReplayed(Duration.ofSeconds(20));
            DataSource standby = pair.standby().adminDataSource("postgres");

            SQLException write = writeFails(standby);
            assertThat(write.getSQLState()).isEqualTo("25006");

            Report onStandby = guard(standby).build().report();
            CheckResult connectivity = onStandby.result("connectivity").orElseThrow();
            assertThat(connectivity.status()).as(connectivity.toString()).isEqualTo(CheckStatus.FAIL);
            assertThat(connectivity.summary()).contains("a standby in recovery", "SQLSTATE 25006", "PostgreSQL " + version);
            assertThat(connectivity.findings()).singleElement().satisfies(f -> assertThat(f.details())
                    .containsEntry("inRecovery", true).containsEntry("targetServerType", "any")
                    .containsEntry("port", pair.standby().port()));
            assertThat(connectivity.remediation()).contains("pg_stat_wal_receiver", "targetServerType=primary",
                    "connectivity.expectPrimary=false");
            // the standby's statistics have no dead tuples and no scans of the primary: no verdict from them
            CheckResult vacuum = onStandby.result("vacuum-health").orElseThrow();
            assertThat(vacuum.status()).as(vacuum.toString()).isEqualTo(CheckStatus.SKIP);
            assertThat(vacuum.summary()).contains("standby in recovery", "Run the guard against the primary");
            CheckResult unused = onStandby.result("unused-indexes").orElseThrow();
            assertThat(unused.status()).as(unused.toString()).isEqualTo(CheckStatus.SKIP);
            assertThat(unused.summary()).contains("standby in recovery", "replicaDataSource");
            assertThatThrownBy(() -> guard(standby).build().verifyOrFail())
                    .isInstanceOf(DbGuardVerificationException.class)
                    .hasMessageContaining("connectivity")
                    .hasMessageContaining("standby in recovery");

            // what the standby could not tell: the primary has the dead tuples and scans the index
            Report onPrimary = guard(pair.primary().adminDataSource("postgres")).build().report();
            assertThat(onPrimary.result("connectivity").orElseThrow().status()).isEqualTo(CheckStatus.PASS);
            CheckResult primaryVacuum = onPrimary.result("vacuum-health").orElseThrow();
            assertThat(primaryVacuum.status()).as(primaryVacuum.toString()).isEqualTo(CheckStatus.WARN);
            assertThat(Checks.withDetail(primaryVacuum, "table", "public.orders")).isNotEmpty();
            assertThat(onPrimary.result("unused-indexes").orElseThrow().findings())
                    .noneSatisfy(f -> assertThat(f.details()).containsEntry("index", "public.orders_customer"));
        }
    }

    @Test
    void multiHostUrlWithoutTargetServerTypeLandsOnTheStandbyAndIsNamed() {
        try (StreamingReplica pair = StreamingReplica.start(PostgresServers.defaultMajor())) {
            String hosts = "jdbc:postgresql://" + hostPort(pair.standby()) + "," + hostPort(pair.primary()) + "/postgres";

            CheckResult any = connectivity(DbGuard.builder().jdbcUrl(hosts).user("postgres"));
            assertThat(any.status()).as(any.toString()).isEqualTo(CheckStatus.FAIL);
            assertThat(any.remediation()).contains("The URL lists several hosts", "add targetServerType=primary");

            CheckResult primary = connectivity(DbGuard.builder().jdbcUrl(hosts + "?targetServerType=primary").user("postgres"));
            assertThat(primary.status()).as(primary.toString()).isEqualTo(CheckStatus.PASS);
            assertThat(primary.summary()).doesNotContain("standby");
        }
    }

    @Test
    void passesOnAStandbyTheServiceIsMeantToReadFrom() {
        try (StreamingReplica pair = StreamingReplica.start(PostgresServers.defaultMajor())) {
            DataSource standby = pair.standby().adminDataSource("postgres");

            CheckResult readsOnly = connectivity(DbGuard.builder().dataSource(standby).set("connectivity.expectPrimary", "false"));
            assertThat(readsOnly.status()).as(readsOnly.toString()).isEqualTo(CheckStatus.PASS);
            assertThat(readsOnly.summary()).contains("a standby in recovery", "connectivity.expectPrimary is off");

            String url = "jdbc:postgresql://" + hostPort(pair.standby()) + "," + hostPort(pair.primary())
                    + "/postgres?targetServerType=preferSecondary";
            CheckResult asked = connectivity(DbGuard.builder().jdbcUrl(url).user("postgres"));
            assertThat(asked.status()).as(asked.toString()).isEqualTo(CheckStatus.PASS);
            assertThat(asked.summary()).contains("as the URL asks: targetServerType=preferSecondary");
        }
    }

    private static DbGuard.Builder guard(DataSource dataSource) {
        return DbGuard.builder().dataSource(dataSource)
                .checks(List.of(new ConnectivityCheck(), new VacuumHealthCheck(), new UnusedIndexesCheck()))
                .set("unused-indexes.minStatisticsAge", "1ms");
    }

    private static CheckResult connectivity(DbGuard.Builder builder) {
        return builder.checks(List.of(new ConnectivityCheck())).build().report().result("connectivity").orElseThrow();
    }

    private static String hostPort(PostgresServer server) {
        return server.host() + ":" + server.port();
    }

    private static SQLException writeFails(DataSource standby) throws SQLException {
        try (Connection c = standby.getConnection(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO orders VALUES (1, 1, 'x')");
        } catch (SQLException e) {
            return e;
        }
        throw new AssertionError("a write on the standby succeeded");
    }
}
