package io.ampora.dbguard.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ampora.dbguard.rls.TenantDataSource;
import io.ampora.dbguard.spring.boot.jpa.JpaOrdersApplication;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Tenant binding with JPA: Boot's JpaTransactionManager, Hibernate (the version Boot manages), a Spring Data
 * repository on the RLS-protected table, the tenant bound by the starter's filter. On a server of its own with
 * pg_stat_statements, which counts the application role's {@code set_config} calls.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class JpaTenantBindingTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int THREADS = 8;
    private static final int REQUESTS_PER_THREAD = 250;
    private static TestDatabase db;
    private static String role;
    private static BootApp app;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabase.create(PostgresServers.get(new ServerSpec("",
                Map.of("shared_preload_libraries", "pg_stat_statements"), false)), JpaTenantBindingTest.class);
        db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        role = BootApp.appRole(db);
        Map<String, Object> properties = BootApp.properties(db, role);
        properties.remove("spring.autoconfigure.exclude");
        properties.put("ampora.dbguard.monitor.interval", "1h");
        app = BootApp.start(JpaOrdersApplication.class, properties);
        app.await("/actuator/health/readiness", r -> r.statusCode() == 200, Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
        if (db != null) {
            db.close();
        }
    }

    @Test
    @Order(1)
    void jpaTransactionsOfTwoTenantsUnderLoadSeeAndWriteNoForeignRowAndBindOncePerTransaction() throws Exception {
        assertThat(app.context.getBean("transactionManager").getClass().getSimpleName())
                .isEqualTo("JpaTransactionManager");
        assertThat(app.bean(DataSource.class).isWrapperFor(TenantDataSource.class)
                || app.bean(DataSource.class) instanceof TenantDataSource).as("the JPA DataSource is tenant-bound").isTrue();
        List<String> tenants = List.of(UUID.randomUUID().toString(), UUID.randomUUID().toString());
        execute("SELECT pg_stat_statements_reset()");
        BootApp.Traffic traffic = app.twoTenantTraffic(tenants, THREADS, REQUESTS_PER_THREAD);
        long setConfigCalls = setConfigCalls();
        assertThat(traffic.foreign()).as("foreign rows seen or written").isZero();
        assertThat(count("SELECT count(*) FROM orders")).as("rows written, counted by the superuser").isEqualTo(traffic.written());
        assertThat(count("SELECT count(DISTINCT tenant_id) FROM orders")).isEqualTo(2);
        // one @Transactional per request; a write runs INSERT and the refresh's SELECT in it: still one binding
        assertThat(setConfigCalls).as("set_config calls of the application role, one per transaction")
                .isEqualTo(traffic.requests());
        System.out.printf("JPA tenant binding: %d requests (%d writes), %d set_config calls, 0 foreign rows%n",
                traffic.requests(), traffic.written(), setConfigCalls);
    }

    @Test
    @Order(2)
    void jpaRequestWithoutTenantFailsWithMissingTenantExceptionAndWritesNothing() throws Exception {
        long before = count("SELECT count(*) FROM orders");
        HttpResponse<String> read = app.get("/orders");
        assertThat(read.statusCode()).as(read.body()).isEqualTo(500);
        assertThat(read.body()).contains("io.ampora.dbguard.rls.MissingTenantException");
        HttpResponse<String> write = app.send(app.request("/orders?item=x").POST(HttpRequest.BodyPublishers.noBody()), null);
        assertThat(write.statusCode()).as(write.body()).isEqualTo(500);
        assertThat(write.body()).contains("io.ampora.dbguard.rls.MissingTenantException");
        assertThat(count("SELECT count(*) FROM orders")).as("nothing written without a tenant").isEqualTo(before);
        System.out.println("JPA without tenant: " + read.body());
    }

    @Test
    @Order(3)
    void lazyLoadAfterTheTransactionUnderOpenInViewIsRefusedNotRunUnbound() throws Exception {
        String tenant = UUID.randomUUID().toString();
        HttpResponse<String> added = app.send(app.request("/orders?item=lazy").POST(HttpRequest.BodyPublishers.noBody()), tenant);
        assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
        String id = JSON.readTree(added.body()).get("id").asText();
        HttpResponse<String> lazy = app.send(app.request("/orders/" + id + "/item").GET(), tenant);
        System.out.println("JPA lazy load after the transaction (open-in-view): " + lazy.statusCode() + " " + lazy.body());
        assertThat(lazy.statusCode()).as(lazy.body()).isEqualTo(500);
        assertThat(lazy.body()).doesNotContain("\"lazy\"");
    }

    @Test
    @Order(4)
    void failedJpaBootstrapStillStopsStartup() throws Exception {
        Map<String, Object> properties = BootApp.properties(db, role);
        properties.remove("spring.autoconfigure.exclude");
        properties.put("spring.jpa.properties.hibernate.dialect", "com.example.NoSuchDialect");
        assertThatThrownBy(() -> BootApp.start(JpaOrdersApplication.class, properties))
                .hasStackTraceContaining("NoSuchDialect");
    }

    private static long setConfigCalls() throws Exception {
        try (Connection c = db.dataSource().getConnection(); PreparedStatement st = c.prepareStatement("""
                SELECT coalesce(sum(s.calls), 0)::bigint
                FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
                WHERE r.rolname = ? AND s.query LIKE '%set_config%'
                  AND s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())""")) {
            st.setString(1, role);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static void execute(String sql) throws Exception {
        try (Connection c = db.dataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static long count(String sql) throws Exception {
        try (Connection c = db.dataSource().getConnection(); java.sql.Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
