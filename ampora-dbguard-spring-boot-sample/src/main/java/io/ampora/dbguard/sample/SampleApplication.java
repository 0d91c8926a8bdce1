package io.ampora.dbguard.sample;

import io.ampora.dbguard.monitor.DbGuardMonitor;
import io.ampora.dbguard.spring.boot.autoconfigure.TenantResolver;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * A Spring Boot service with the Ampora DbGuard starter, on an embedded PostgreSQL it starts itself:
 * {@code java -jar ampora-dbguard-spring-boot-sample/target/ampora-dbguard-spring-boot-sample.jar}, then
 * <pre>
 * curl -s localhost:8080/actuator/health/readiness
 * curl -s localhost:8080/actuator/dbguard
 * curl -s -X POST -H 'X-Demo-Tenant: 7d3c1e4e-9a51-4d1e-9d57-0d3b1c6a2f10' 'localhost:8080/orders?item=book'
 * curl -s -H 'X-Demo-Tenant: 7d3c1e4e-9a51-4d1e-9d57-0d3b1c6a2f10' localhost:8080/orders
 * curl -s localhost:8080/orders      # no tenant: 500, MissingTenantException, never an empty list
 * </pre>
 */
@SpringBootApplication
public class SampleApplication {

    /**
     * Starts PostgreSQL and the application (see {@link #start(String...)}); with {@code benchmark} as the first
     * argument, measures the starter's startup and probe cost instead ({@link StartupBenchmark}).
     *
     * @param args Spring Boot arguments
     * @throws Exception when PostgreSQL cannot start
     */
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("benchmark")) {
            StartupBenchmark.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        start(args);
    }

    /**
     * Starts PostgreSQL, creates the application's role and database, then the application; PostgreSQL stops
     * with the context, or at once when the context fails to start. Given {@code --spring.datasource.url=...}, it
     * starts on that database instead (the benchmark's starts).
     *
     * @param args Spring Boot arguments ({@code --server.port=0} for a free port)
     * @return the running application
     * @throws Exception when PostgreSQL cannot start
     */
    public static ConfigurableApplicationContext start(String... args) throws Exception {
        if (Arrays.stream(args).anyMatch(a -> a.startsWith("--spring.datasource.url="))) {
            if (!Boolean.getBoolean("sample.startup-steps")) {
                return new SpringApplicationBuilder(SampleApplication.class).run(args); // a database of the caller's
            }
            var recorder = StartupSteps.recorder(); // the benchmark's starts: each part's own time
            ConfigurableApplicationContext context = new SpringApplicationBuilder(SampleApplication.class)
                    .applicationStartup(recorder).run(args);
            StartupSteps.print(recorder);
            System.out.println(StartupSteps.END);
            return context;
        }
        EmbeddedPostgres postgres = EmbeddedPostgres.builder().start();
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE ROLE sample_app LOGIN PASSWORD 'sample-app-secret'");
            st.execute("CREATE DATABASE sample OWNER sample_app");
        }
        ApplicationListener<ContextClosedEvent> stopPostgres = event -> {
            // the monitor first, so that it does not report the database it watches going away
            event.getApplicationContext().getBeanProvider(DbGuardMonitor.class).ifAvailable(DbGuardMonitor::close);
            stop(postgres);
        };
        try {
            return new SpringApplicationBuilder(SampleApplication.class)
                    .properties(Map.of(
                            "spring.datasource.url", "jdbc:postgresql://localhost:" + postgres.getPort() + "/sample",
                            "spring.datasource.username", "sample_app",
                            "spring.datasource.password", "sample-app-secret"))
                    .listeners(stopPostgres)
                    .run(args);
        } catch (RuntimeException e) {
            stop(postgres); // a context that failed to refresh publishes no ContextClosedEvent
            throw e;
        }
    }

    private static void stop(EmbeddedPostgres postgres) {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Demo only: the tenant from a request header. A real service takes it from its verified principal
     * (a validated token's claim); the starter has no header-based default on purpose.
     *
     * @return the resolver
     */
    @Bean
    TenantResolver tenantResolver() {
        return request -> Optional.ofNullable(request.getHeader("X-Demo-Tenant"));
    }

    /** Orders, under Row Level Security. */
    @Service
    public static class Orders {
        private final JdbcTemplate jdbc;

        Orders(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        /** @return the current tenant's items */
        @Transactional(readOnly = true)
        public List<String> items() {
            return jdbc.queryForList("SELECT item FROM orders ORDER BY id", String.class);
        }

        /**
         * @param item the item
         * @return the tenant the row belongs to
         */
        @Transactional
        public String add(String item) {
            return jdbc.queryForObject("INSERT INTO orders (item) VALUES (?) RETURNING tenant_id::text", String.class, item);
        }
    }

    /** The tenant-scoped endpoint. */
    @RestController
    public static class OrdersController {
        private final Orders orders;

        OrdersController(Orders orders) {
            this.orders = orders;
        }

        /** @return the current tenant's items */
        @GetMapping("/orders")
        public List<String> list() {
            return orders.items();
        }

        /**
         * @param item the item
         * @return the tenant it was written for
         */
        @PostMapping("/orders")
        public Map<String, String> add(@RequestParam("item") String item) {
            return Map.of("tenant", orders.add(item));
        }
    }
}
