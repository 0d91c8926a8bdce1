package io.ampora.dbguard.spring.boot;

import io.ampora.dbguard.spring.boot.app.OrdersApplication;
import io.ampora.dbguard.testing.TestDatabase;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
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

    /** Polls a path until its answer satisfies the condition; fails with the last answer after the timeout. */
    HttpResponse<String> await(String path, Predicate<HttpResponse<String>> condition, Duration timeout)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpResponse<String> last = get(path);
        while (!condition.test(last)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("GET " + path + " did not reach the expected answer within " + timeout
                        + "; last: " + last.statusCode() + " " + last.body());
            }
            Thread.sleep(50);
            last = get(path);
        }
        return last;
    }

    @Override
    public void close() {
        context.close();
    }
}
