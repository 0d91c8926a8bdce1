package io.ampora.dbguard.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ampora.dbguard.DbGuardConfigurationException;
import io.ampora.dbguard.runbook.locks.LockScenario;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Boot service while somebody's transaction stays open on its database (an analyst's psql session): the
 * {@code dbguard} endpoint shows {@code long-transactions} FAIL with the pid and the fix, readiness stays UP
 * (every instance sees the same transaction; taking them all out of the load balancer would be an outage), and
 * {@code ampora.dbguard.monitor.probes.long-transactions=readiness,startup} makes readiness follow it for an
 * application that wants that.
 */
class DatabaseWideConditionsInReadinessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WITHIN = Duration.ofSeconds(30);
    private static TestDatabase db;
    private static String role;

    @BeforeAll
    static void createDatabase() throws Exception {
        db = TestDatabase.create(PostgresServers.get(ServerSpec.defaults()), DatabaseWideConditionsInReadinessTest.class);
        role = BootApp.appRole(db);
        // the service's role sees other roles' transactions only with it; without, long-transactions is UNKNOWN
        db.execute("GRANT pg_read_all_stats TO " + role);
    }

    @AfterAll
    static void dropDatabase() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void anAnalystsOpenTransactionIsReportedWhileReadinessStaysUp() throws Exception {
        try (LockScenario scenario = new LockScenario(db); BootApp app = BootApp.start(properties())) {
            int pid = scenario.hold("psql", "SELECT txid_current()");

            JsonNode check = awaitLongTransactionsFail(app);

            assertThat(check.toString()).contains("pg_terminate_backend(" + pid + ")");
            HttpResponse<String> readiness = app.get("/actuator/health/readiness");
            assertThat(readiness.statusCode()).as(readiness.body()).isEqualTo(200);
            JsonNode dbguard = JSON.readTree(readiness.body()).at("/components/dbguard");
            assertThat(dbguard.at("/status").asText()).isEqualTo("UP");
            assertThat(dbguard.at("/details/checks/connectivity/status").asText()).isEqualTo("PASS");
            assertThat(dbguard.at("/details/checks/long-transactions").isMissingNode())
                    .as("long-transactions does not affect readiness: %s", dbguard).isTrue();
        }
    }

    @Test
    void readinessFollowsTheCheckWhenTheApplicationNamesItInMonitorProbes() throws Exception {
        Map<String, Object> properties = properties();
        properties.put("ampora.dbguard.monitor.probes.long-transactions", "readiness,startup");
        try (LockScenario scenario = new LockScenario(db); BootApp app = BootApp.start(properties)) {
            scenario.hold("psql", "SELECT txid_current()");

            awaitLongTransactionsFail(app);

            HttpResponse<String> readiness = app.await("/actuator/health/readiness", r -> r.statusCode() == 503, WITHIN);
            JsonNode dbguard = JSON.readTree(readiness.body()).at("/components/dbguard");
            assertThat(dbguard.at("/status").asText()).isEqualTo("DOWN");
            assertThat(dbguard.at("/details/reason").asText()).startsWith("long-transactions FAIL: ");
        }
    }

    @Test
    void aProbeNameThatDoesNotExistStopsTheStartNamingTheProperty() {
        Map<String, Object> properties = properties();
        properties.put("ampora.dbguard.monitor.probes.long-transactions", "readyness");

        Throwable failure = catchThrowable(() -> BootApp.run(properties).close());

        Throwable cause = failure;
        while (cause != null && !(cause instanceof DbGuardConfigurationException)) {
            cause = cause.getCause();
        }
        assertThat(cause).as("%s", failure).isNotNull();
        assertThat(cause.getMessage()).isEqualTo("Property 'ampora.dbguard.monitor.probes.long-transactions':"
                + " 'readyness' is not a probe; use readiness, startup (both: readiness,startup) or none");
    }

    private static Map<String, Object> properties() {
        Map<String, Object> properties = BootApp.properties(db, role);
        properties.put("ampora.dbguard.monitor.interval", "300ms");
        properties.put("ampora.dbguard.checks.long-transactions.warn-after", "200ms");
        properties.put("ampora.dbguard.checks.long-transactions.fail-after", "1s");
        return properties;
    }

    private static JsonNode awaitLongTransactionsFail(BootApp app) throws Exception {
        HttpResponse<String> report = app.await("/actuator/dbguard",
                r -> r.statusCode() == 200 && longTransactions(r).at("/status").asText().equals("FAIL"), WITHIN);
        return longTransactions(report);
    }

    private static JsonNode longTransactions(HttpResponse<String> report) {
        try {
            for (JsonNode check : JSON.readTree(report.body()).get("checks")) {
                if (check.get("id").asText().equals("long-transactions")) {
                    return check;
                }
            }
            return JSON.missingNode();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
