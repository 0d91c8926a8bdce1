package io.ampora.dbguard.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.monitor.DbGuardMonitor;
import io.ampora.dbguard.monitor.MonitorConfig;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.EmbeddedServer;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The runbook's first line, for real: stop PostgreSQL under a running monitor and /health/ready turns
 * red with the connectivity diagnosis while /health/live stays green; start it again and readiness comes
 * back without restarting anything in the JVM. A dedicated server (its own settings) is stopped, never
 * the shared one.
 */
@WithPostgres(settings = "application_name=readiness-flip-test")
class ReadinessFlipsWhenDatabaseStopsTest {

    private static final Duration INTERVAL = Duration.ofSeconds(1);
    /** Connecting to a stopped server is refused at once; the margin covers a slow, shared CI machine. */
    private static final Duration MARGIN = Duration.ofSeconds(5);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void readinessTurns503WithConnectivityDiagnosisWhileLivenessStays200AndRecoversAfterRestart(TestDatabase db)
            throws Exception {
        assumeTrue(db.server() instanceof EmbeddedServer, "stopping the server needs the embedded PostgreSQL");
        EmbeddedServer server = (EmbeddedServer) db.server();
        // the maintenance database: EmbeddedServer.pause() loses the data directory (zonky deletes a directory
        // it initialised when it stops), so the test's own database does not survive the restart
        DbGuard guard = DbGuard.builder().dataSource(server.adminDataSource("postgres"))
                .connectTimeout(Duration.ofSeconds(2)).checkTimeout(Duration.ofSeconds(2)).deadline(Duration.ofSeconds(5))
                .build();
        boolean paused = false;
        try (DbGuardMonitor monitor = guard.monitor(MonitorConfig.builder().defaultInterval(INTERVAL).build());
             HealthServer health = HealthServer.start(monitor, new InetSocketAddress("127.0.0.1", 0))) {
            String base = "http://127.0.0.1:" + health.port() + "/health/";
            HttpResponse<String> ready = awaitStatus(base + "ready", 200, Duration.ofSeconds(20));
            assertThat(json.readTree(ready.body()).get("status").asText()).isEqualTo("UP");

            server.pause();
            paused = true;
            long t0 = System.nanoTime();
            HttpResponse<String> down = awaitStatus(base + "ready", 503, INTERVAL.plus(MARGIN));
            Duration detectedAfter = Duration.ofNanos(System.nanoTime() - t0);

            JsonNode body = json.readTree(down.body());
            assertThat(body.get("status").asText()).isEqualTo("DOWN");
            JsonNode connectivity = checkNamed(body, "connectivity");
            assertThat(connectivity.get("status").asText()).isEqualTo("DOWN");
            assertThat(connectivity.get("data").get("checkStatus").asText()).isEqualTo("FAIL");
            assertThat(connectivity.get("data").get("cause").asText())
                    .as("connectivity while the server stops: %s", connectivity)
                    // a backend accepted while the postmaster shuts down may be dropped before it answers (CI, once)
                    .isIn("CONNECTION_REFUSED", "SERVER_STARTING_OR_RECOVERING", "CONNECTION_LOST");
            assertThat(connectivity.get("data").get("remediation").asText()).isNotBlank();
            assertThat(connectivity.get("data").get("driverMessage").asText()).isNotBlank();
            System.out.printf("readiness turned 503 %d ms after the server stopped (interval %d ms)%n",
                    detectedAfter.toMillis(), INTERVAL.toMillis());

            HttpResponse<String> live = get(base + "live");
            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(json.readTree(live.body()).get("status").asText()).isEqualTo("UP");
            assertThat(get(base + "started").statusCode()).as("startup stays UP once started").isEqualTo(200);
            assertThat(json.readTree(get(base + "report").body()).get("ready").asBoolean()).isFalse();

            server.restart();
            paused = false;
            HttpResponse<String> back = awaitStatus(base + "ready", 200, INTERVAL.plus(Duration.ofSeconds(15)));
            assertThat(checkNamed(json.readTree(back.body()), "connectivity").get("status").asText()).isEqualTo("UP");
            assertThat(get(base + "live").statusCode()).isEqualTo(200);
        } finally {
            if (paused) {
                server.restart();
            }
        }
    }

    private JsonNode checkNamed(JsonNode body, String name) {
        for (JsonNode check : body.get("checks")) {
            if (check.get("name").asText().equals(name)) {
                return check;
            }
        }
        throw new AssertionError("no check named " + name + " in " + body);
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> awaitStatus(String url, int status, Duration within) throws Exception {
        return Await.value(url + " answering " + status, within, () -> get(url), r -> r.statusCode() == status);
    }
}
