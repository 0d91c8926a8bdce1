package io.ampora.dbguard.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ampora.dbguard.testing.EmbeddedServer;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A Boot web application with the starter, on a PostgreSQL server of its own that the test stops and starts:
 * readiness carries {@code dbguard} and follows the database, liveness never does, and nothing in the JVM is
 * restarted.
 */
class ReadinessFollowsDatabaseTest {

    private static final Duration INTERVAL = Duration.ofSeconds(1);
    /** Connecting to a stopped server is refused at once; the margin covers a slow, shared CI machine. */
    private static final Duration MARGIN = Duration.ofSeconds(4);
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void readinessGoesDownWithinOneIntervalWhenTheDatabaseStopsAndUpAfterRestartWhileLivenessStaysUp() throws Exception {
        assumeTrue(PostgresServers.embedded(), "stopping the server needs the embedded PostgreSQL");
        PostgresServer shared = PostgresServers.get(new ServerSpec("", Map.of("application_name", "'boot-readiness'"), false));
        EmbeddedServer server = (EmbeddedServer) shared;
        try (TestDatabase db = TestDatabase.create(server, getClass())) {
            Map<String, Object> properties = BootApp.properties(db, BootApp.appRole(db));
            properties.put("ampora.dbguard.monitor.interval", INTERVAL.toMillis() + "ms");
            boolean paused = false;
            try (BootApp app = BootApp.start(properties)) {
                HttpResponse<String> ready = app.await("/actuator/health/readiness", r -> r.statusCode() == 200,
                        Duration.ofSeconds(20));
                JsonNode readiness = json.readTree(ready.body());
                assertThat(readiness.at("/components/dbguard/status").asText()).isEqualTo("UP");
                assertThat(readiness.at("/components/dbguard/details/checks/connectivity/status").asText()).isEqualTo("PASS");
                assertThat(readiness.at("/components/readinessState/status").asText()).isEqualTo("UP");
                HttpResponse<String> live = app.get("/actuator/health/liveness");
                assertThat(live.statusCode()).isEqualTo(200);
                assertThat(json.readTree(live.body()).at("/components/dbguard").isMissingNode())
                        .as("dbguard is never a liveness member: %s", live.body()).isTrue();

                server.pause();
                paused = true;
                long t0 = System.nanoTime();
                HttpResponse<String> down = app.await("/actuator/health/readiness", r -> r.statusCode() == 503,
                        INTERVAL.plus(MARGIN));
                long detectedMs = Duration.ofNanos(System.nanoTime() - t0).toMillis();
                JsonNode dbguard = json.readTree(down.body()).at("/components/dbguard");
                assertThat(dbguard.at("/status").asText()).isEqualTo("DOWN");
                assertThat(dbguard.at("/details/reason").asText()).contains("connectivity");
                assertThat(dbguard.at("/details/checks/connectivity/status").asText()).isEqualTo("FAIL");
                assertThat(app.get("/actuator/health/liveness").statusCode()).as("liveness while the database is down")
                        .isEqualTo(200);
                System.out.printf("readiness DOWN %d ms after the server stopped (monitor interval %d ms)%n",
                        detectedMs, INTERVAL.toMillis());

                server.restart();
                paused = false;
                HttpResponse<String> back = app.await("/actuator/health/readiness", r -> r.statusCode() == 200,
                        INTERVAL.plus(Duration.ofSeconds(15)));
                assertThat(json.readTree(back.body()).at("/components/dbguard/status").asText()).isEqualTo("UP");
                assertThat(app.get("/actuator/health/liveness").statusCode()).isEqualTo(200);
            } finally {
                if (paused) {
                    server.restart();
                }
            }
        }
    }
}
