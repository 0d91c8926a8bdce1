package io.ampora.dbguard.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ampora.dbguard.spring.boot.app.OrdersApplication;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.TestDatabase;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The test application started for real (Tomcat on a free port, the starter, Flyway) against a test database,
 * reached over HTTP. Only APIs that Boot 3 and Boot 4 share, so the same tests run on both.
 */
final class BootApp implements AutoCloseable {

    static final String PASSWORD = "app-secret";

    /** Boot 4's and Boot 3's JPA auto-configurations; only the JPA test application uses them. */
    static final String JPA_AUTO_CONFIGURATIONS = String.join(",",
            "org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration",
            "org.springframework.boot.data.jpa.autoconfigure.DataJpaRepositoriesAutoConfiguration",
            "org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration",
            "org.springframework.boot.autoconfigure.data.jpa.JpaRepositoriesAutoConfiguration");

    final ConfigurableApplicationContext context;
    final String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private BootApp(ConfigurableApplicationContext context) {
        this.context = context;
        this.base = "http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port");
    }

    /** The application role of a test database: owns the database, so Flyway migrates as it; not a superuser. */
    static String appRole(TestDatabase db) throws SQLException {
        String role = "app_" + db.name();
        db.createRole(role, PASSWORD, "");
        db.execute("ALTER DATABASE " + db.name() + " OWNER TO " + role);
        return role;
    }

    /** The properties every test application runs with; a test adds or overrides some. */
    static Map<String, Object> properties(TestDatabase db, String role) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("spring.datasource.url", db.jdbcUrl());
        p.put("spring.datasource.username", role);
        p.put("spring.datasource.password", PASSWORD);
        p.put("spring.application.name", "orders-service");
        p.put("server.port", "0");
        p.put("server.address", "127.0.0.1");
        p.put("server.error.include-exception", "true"); // Boot 3
        p.put("server.error.include-message", "always");
        p.put("spring.web.error.include-exception", "true"); // Boot 4
        p.put("spring.web.error.include-message", "always");
        p.put("management.endpoint.health.probes.enabled", "true");
        p.put("management.endpoint.health.show-details", "always");
        p.put("management.endpoints.web.exposure.include", "health,dbguard");
        p.put("ampora.dbguard.tenant.enabled", "true");
        p.put("logging.level.io.ampora.dbguard", "INFO");
        p.put("spring.autoconfigure.exclude", JPA_AUTO_CONFIGURATIONS); // JPA is on the test classpath for one test
        return p;
    }

    static BootApp start(Map<String, Object> properties) {
        return new BootApp(run(properties));
    }

    static BootApp start(Class<?> application, Map<String, Object> properties) {
        return new BootApp(new SpringApplicationBuilder(application).properties(properties).run());
    }

    static ConfigurableApplicationContext run(Map<String, Object> properties) {
        return new SpringApplicationBuilder(OrdersApplication.class).properties(properties).run();
    }

    <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), null);
    }

    HttpResponse<String> send(HttpRequest.Builder request, String tenant) throws IOException, InterruptedException {
        if (tenant != null) {
            request.header(OrdersApplication.TENANT_HEADER, tenant);
        }
        return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path));
    }

    /** What {@link #twoTenantTraffic} sent and saw. */
    record Traffic(int requests, int written, int foreign) {
    }

    /**
     * Requests for two tenants from several threads, alternating per thread and request: even requests write an
     * order (POST), odd ones list the tenant's orders (GET); every answer must be 200, and every row written or
     * listed that carries the other tenant is counted as foreign.
     *
     * @param tenants    the two tenants
     * @param threads    how many threads send
     * @param perThread  how many requests each sends
     * @return the counts
     * @throws Exception what a request or an assertion threw
     */
    Traffic twoTenantTraffic(List<String> tenants, int threads, int perThread) throws Exception {
        ObjectMapper json = new ObjectMapper();
        AtomicInteger foreign = new AtomicInteger();
        AtomicInteger written = new AtomicInteger();
        AtomicInteger requests = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        String tenant = tenants.get((thread + i) % 2);
                        HttpResponse<String> r = i % 2 == 0
                                ? send(request("/orders?item=t" + thread + "-" + i)
                                        .POST(HttpRequest.BodyPublishers.noBody()), tenant)
                                : send(request("/orders").GET(), tenant);
                        requests.incrementAndGet();
                        assertThat(r.statusCode()).as("%s", r.body()).isEqualTo(200);
                        JsonNode body = json.readTree(r.body());
                        if (i % 2 == 0) {
                            written.incrementAndGet();
                            if (!body.get("tenant").asText().equals(tenant)) {
                                foreign.incrementAndGet();
                            }
                        } else {
                            for (JsonNode seen : body) {
                                if (!seen.asText().equals(tenant)) {
                                    foreign.incrementAndGet();
                                }
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return new Traffic(requests.get(), written.get(), foreign.get());
    }

    /** Polls a path until its answer satisfies the condition; fails with the last answer after the timeout. */
    HttpResponse<String> await(String path, Predicate<HttpResponse<String>> condition, Duration timeout)
            throws IOException, InterruptedException {
        return Await.value("GET " + path + " to reach the expected answer", timeout, () -> new Answer(get(path)),
                answer -> condition.test(answer.response())).response();
    }

    /** A response shown by its status and body in a failure message. */
    private record Answer(HttpResponse<String> response) {
        @Override
        public String toString() {
            return response.statusCode() + " " + response.body();
        }
    }

    @Override
    public void close() {
        context.close();
    }
}
