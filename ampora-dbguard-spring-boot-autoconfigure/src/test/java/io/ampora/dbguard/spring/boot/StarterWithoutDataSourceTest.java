package io.ampora.dbguard.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.spring.boot.nodb.NoDatabaseApplication;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The starter in an application without a DataSource bean: nothing to guard, so no {@code dbguard} contributor;
 * the readiness group must not name it (Actuator refuses a group member that does not exist), without the
 * application having to set {@code ampora.dbguard.enabled=false}.
 */
class StarterWithoutDataSourceTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void applicationWithoutDataSourceStartsAndIsReadyWithoutADbguardComponent() throws Exception {
        // Boot's own probe group (the application configured none): status only
        assertThat(readiness(Map.of())).doesNotContain("dbguard").contains("\"UP\"");
    }

    @Test
    void applicationWithoutDataSourceKeepsItsOwnReadinessInclude() throws Exception {
        assertThat(readiness(Map.of("management.endpoint.health.group.readiness.include", "readinessState,ping")))
                .doesNotContain("dbguard").contains("readinessState").contains("\"ping\"");
    }

    private String readiness(Map<String, Object> extra) throws Exception {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("server.port", "0");
        p.put("server.address", "127.0.0.1");
        p.put("management.endpoint.health.probes.enabled", "true");
        p.put("management.endpoint.health.show-details", "always");
        p.put("spring.autoconfigure.exclude", String.join(",", BootApp.JPA_AUTO_CONFIGURATIONS,
                "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
                "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration"));
        p.putAll(extra);
        try (ConfigurableApplicationContext app = new SpringApplicationBuilder(NoDatabaseApplication.class).properties(p).run()) {
            assertThat(app.getBeanNamesForType(DataSource.class)).isEmpty();
            assertThat(app.getBeanNamesForType(DbGuard.class)).isEmpty();
            String base = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
            HttpResponse<String> live = get(base + "/actuator/health/liveness");
            assertThat(live.statusCode()).isEqualTo(200);
            HttpResponse<String> ready = get(base + "/actuator/health/readiness");
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
            return ready.body();
        }
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
