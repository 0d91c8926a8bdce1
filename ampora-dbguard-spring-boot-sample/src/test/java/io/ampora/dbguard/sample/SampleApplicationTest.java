package io.ampora.dbguard.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The sample as its users run it ({@link SampleApplication#start}: its own embedded PostgreSQL, the starter, Flyway,
 * Tomcat), on a free port, reached over HTTP.
 */
@ExtendWith(OutputCaptureExtension.class)
class SampleApplicationTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void sampleStartsOnItsEmbeddedPostgresAndAnswersReadinessTheDbguardEndpointAndTenantScopedOrders() throws Exception {
        try (ConfigurableApplicationContext app = SampleApplication.start("--server.port=0", "--server.address=127.0.0.1")) {
            String base = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
            HttpResponse<String> ready = await(base + "/actuator/health/readiness", Duration.ofSeconds(30));
            assertThat(ready.body()).contains("\"dbguard\"").contains("\"connectivity\"");
            HttpResponse<String> live = get(base + "/actuator/health/liveness", null);
            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(live.body()).doesNotContain("dbguard");

            HttpResponse<String> report = get(base + "/actuator/dbguard", null);
            assertThat(report.statusCode()).isEqualTo(200);
            assertThat(report.body()).containsPattern("\"id\"\\s*:\\s*\"connectivity\",\\s*\"status\"\\s*:\\s*\"PASS\"")
                    .containsPattern("\"id\"\\s*:\\s*\"rls-posture\",\\s*\"status\"\\s*:\\s*\"PASS\"")
                    .doesNotContain("sample-app-secret");

            String tenant = UUID.randomUUID().toString();
            HttpResponse<String> added = send(HttpRequest.newBuilder(URI.create(base + "/orders?item=book"))
                    .POST(HttpRequest.BodyPublishers.noBody()), tenant);
            assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
            assertThat(added.body()).contains(tenant);
            assertThat(get(base + "/orders", tenant).body()).isEqualTo("[\"book\"]");
            assertThat(get(base + "/orders", UUID.randomUUID().toString()).body()).as("another tenant").isEqualTo("[]");
            HttpResponse<String> noTenant = get(base + "/orders", null);
            assertThat(noTenant.statusCode()).as("no tenant: an error, never an empty list").isEqualTo(500);
        }
    }

    @Test
    void sampleWithAFailingStartupCheckStopsWithTheFailureAnalyzersReport(CapturedOutput output) {
        // a threshold the fresh server already exceeds: a few of its ~300 connection slots are in use
        assertThatThrownBy(() -> SampleApplication.start("--server.port=0", "--server.address=127.0.0.1",
                "--ampora.dbguard.checks.connection-headroom.warn-percent=1",
                "--ampora.dbguard.checks.connection-headroom.fail-percent=1"))
                .hasStackTraceContaining("DbGuardVerificationException");
        assertThat(output.getAll()).contains("APPLICATION FAILED TO START").contains("Description:").contains("Action:")
                .contains("connection-headroom FAIL").contains("usable connection slots in use")
                .contains("ampora.dbguard.verify-on-startup=false");
    }

    private HttpResponse<String> await(String url, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpResponse<String> last = get(url, null);
        while (last.statusCode() != 200 && System.nanoTime() < deadline) {
            Thread.sleep(100);
            last = get(url, null);
        }
        assertThat(last.statusCode()).as(last.body()).isEqualTo(200);
        return last;
    }

    private HttpResponse<String> get(String url, String tenant) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(url)).GET(), tenant);
    }

    private HttpResponse<String> send(HttpRequest.Builder request, String tenant) throws Exception {
        if (tenant != null) {
            request.header("X-Demo-Tenant", tenant);
        }
        return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
