package io.ampora.dbguard.examples.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.examples.demo.DemoEnvironment;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The demo service started for real (embedded PostgreSQL, Flyway, HikariCP, TenantDataSource, QueryMetrics,
 * startup guard, health endpoint, Prometheus scrape) and called over HTTP.
 */
class DemoApplicationTest {

    static DemoApplication app;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        app = DemoApplication.start(0);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    static HttpResponse<String> get(String path, String tenant) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path))
                .timeout(Duration.ofSeconds(10));
        if (tenant != null) {
            request.header(TenantFilter.HEADER, tenant);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void eachTenantSeesOnlyItsOwnOrdersThroughTheFilter() throws Exception {
        HttpResponse<String> a = get("/api/orders", DemoEnvironment.TENANT_A);
        HttpResponse<String> b = get("/api/orders", DemoEnvironment.TENANT_B);

        assertThat(a.statusCode()).isEqualTo(200);
        assertThat(a.body()).contains("\"tenant\":\"" + DemoEnvironment.TENANT_A + "\"")
                .contains("\"customer\":\"Ada\"").contains("\"customer\":\"Alan\"").doesNotContain("Grace");
        assertThat(b.statusCode()).isEqualTo(200);
        assertThat(b.body()).contains("\"customer\":\"Grace\"").doesNotContain("Ada").doesNotContain("Alan");
    }

    @Test
    void requestWithoutTenantIsRejectedBeforeTheHandler() throws Exception {
        HttpResponse<String> response = get("/api/orders", null);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.body()).contains("X-Tenant-Id");
    }

    @Test
    void malformedTenantIsABadRequestWithoutEcho() throws Exception {
        HttpResponse<String> response = get("/api/orders", "x'; DROP TABLE orders; --");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).doesNotContain("DROP");
    }

    @Test
    void routeMountedWithoutTheFilterFailsNamingTheCallerInsteadOfCountingZero() throws Exception {
        HttpResponse<String> response = get("/api/admin/order-count", null);

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(response.body()).contains("A statement ran without a tenant")
                .contains("DemoApplication.countOrders");
    }

    @Test
    void readinessIsUpAndMetricsShowQueryDurationBuckets() throws Exception {
        get("/api/orders", DemoEnvironment.TENANT_A);

        HttpResponse<String> ready = get("/health/ready", null);
        HttpResponse<String> metrics = get("/metrics", null);

        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        assertThat(ready.body()).containsPattern("\"status\": ?\"UP\"").contains("connectivity");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("ampora_db_query_duration_seconds_bucket")
                .contains("operation=\"list-orders\"")
                .contains("ampora_dbguard_ready");
    }
}
