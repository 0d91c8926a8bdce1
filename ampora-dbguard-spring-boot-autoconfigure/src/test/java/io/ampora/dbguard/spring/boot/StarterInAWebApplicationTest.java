package io.ampora.dbguard.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ampora.dbguard.hikari.GuardedPool;
import io.ampora.dbguard.hikari.LeakReport;
import io.ampora.dbguard.micrometer.QueryMetrics;
import io.ampora.dbguard.spring.boot.app.OrdersApplication;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
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
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * One Boot web application with the starter (pool guard, query timer, tenant binding, Flyway), reached over
 * HTTP: the dbguard endpoint, probes that never touch the database, the leak report of a leaking controller,
 * and tenant binding under load.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(OutputCaptureExtension.class)
class StarterInAWebApplicationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static TestDatabase db;
    private static BootApp app;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabase.create(PostgresServers.get(ServerSpec.defaults()), StarterInAWebApplicationTest.class);
        Map<String, Object> properties = BootApp.properties(db, BootApp.appRole(db));
        properties.put("ampora.dbguard.monitor.interval", "1h"); // after the first run, the monitor opens no session
        properties.put("ampora.dbguard.pool.leak-threshold", "500ms");
        properties.put("ampora.dbguard.pool.sample-every", "1");
        properties.put("spring.datasource.hikari.minimum-idle", "2");
        app = BootApp.start(properties);
        app.await("/actuator/health/readiness", r -> r.statusCode() == 200, Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        OrdersApplication.LeakyController.releaseAll();
        if (app != null) {
            app.close();
        }
        if (db != null) {
            db.close();
        }
    }

    @Test
    @Order(1)
    void readinessProbesAnswerFromTheMonitorWithoutOpeningOrBorrowingAConnection() throws Exception {
        Timer acquire = app.bean(MeterRegistry.class).get(QueryMetrics.ACQUIRE_TIMER).timer();
        long sessionsBefore = sessions();
        long borrowsBefore = acquire.count();
        long[] micros = new long[1_000];
        for (int i = 0; i < micros.length; i++) {
            long t0 = System.nanoTime();
            HttpResponse<String> ready = app.get("/actuator/health/readiness");
            micros[i] = (System.nanoTime() - t0) / 1_000;
            assertThat(ready.statusCode()).isEqualTo(200);
        }
        Thread.sleep(1_500); // PostgreSQL flushes session statistics at most once a second
        // + 1: the session that read sessionsBefore, counted once it ended
        assertThat(sessions() - sessionsBefore - 1).as("sessions opened on the database during 1,000 probes").isZero();
        assertThat(acquire.count()).as("connections borrowed from the application's DataSource").isEqualTo(borrowsBefore);
        Arrays.sort(micros);
        System.out.printf("readiness over HTTP, 1,000 requests: p50 %d us, p99 %d us, max %d us; 0 sessions%n",
                micros[500], micros[989], micros[999]);
        Object contributor = app.context.getBean("dbguardHealthIndicator"); // Boot 3 or Boot 4 type
        java.lang.reflect.Method health = contributor.getClass().getMethod("health");
        long[] nanos = new long[1_000];
        for (int i = 0; i < nanos.length; i++) {
            long t0 = System.nanoTime();
            health.invoke(contributor);
            nanos[i] = System.nanoTime() - t0;
        }
        Arrays.sort(nanos);
        System.out.printf("dbguard contributor alone, 1,000 calls: p50 %d ns, p99 %d ns%n", nanos[500], nanos[989]);
    }

    @Test
    @Order(0)
    void monitorStartsOnlyAfterTheStartupChecksPassedAndTheWebServerStarted(CapturedOutput output) {
        String log = output.getAll();
        int verified = log.indexOf("Database verified at startup");
        int webServer = log.indexOf("Tomcat started on port");
        int monitoring = log.indexOf("Monitoring ");
        assertThat(verified).as("startup verification logged").isPositive();
        assertThat(webServer).as("web server start logged").isPositive();
        // the monitor's first run (every check) does not compete with the startup checks or the rest of the start
        assertThat(monitoring).as("the monitor started, after the startup checks and the web server").isGreaterThan(verified)
                .isGreaterThan(webServer);
        assertThat(log.indexOf("Monitoring ", monitoring + 1)).as("one monitor").isNegative();
    }

    @Test
    @Order(2)
    void dbguardEndpointAnswersTheDoctorsJsonReport() throws Exception {
        HttpResponse<String> response = app.get("/actuator/dbguard");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).contains("json");
        JsonNode report = JSON.readTree(response.body());
        assertThat(report.get("status").asText()).isIn("PASS", "WARN");
        assertThat(report.get("database").asText()).startsWith("jdbc:postgresql://").doesNotContain(BootApp.PASSWORD);
        List<String> ids = new ArrayList<>();
        for (JsonNode check : report.get("checks")) {
            ids.add(check.get("id").asText());
            assertThat(check.has("status") && check.has("summary") && check.has("runbook") && check.has("remediation")
                    && check.has("findings")).as("contract keys of %s", check).isTrue();
        }
        assertThat(ids).contains("connectivity", "pool-saturation", "pool-budget", "schema-version", "migration-lock",
                "query-latency", "rls-posture");
        JsonNode connectivity = report.get("checks").get(ids.indexOf("connectivity"));
        assertThat(connectivity.get("status").asText()).isEqualTo("PASS");
    }

    @Test
    @Order(3)
    void connectionLeakedByAControllerIsReportedWithTheControllerMethodAsBorrowSite() throws Exception {
        GuardedPool pool = app.bean(DataSource.class).unwrap(GuardedPool.class);
        int earlier = pool.leakReports().size(); // Flyway held its migration connection past 500 ms at startup
        assertThat(app.get("/leak").body()).isEqualTo("leaked");
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (pool.leakReports().size() == earlier && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(pool.leakReports()).as("leak reports").hasSizeGreaterThan(earlier);
        LeakReport leak = pool.leakReports().get(earlier);
        assertThat(leak.kind()).isEqualTo(LeakReport.Kind.HELD_TOO_LONG);
        StackTraceElement top = leak.borrowSite().get(0);
        assertThat(top.getClassName()).isEqualTo(OrdersApplication.LeakyController.class.getName());
        assertThat(top.getMethodName()).isEqualTo("leakConnection");
        System.out.println("leak report: " + leak.message());
        OrdersApplication.LeakyController.releaseAll();
    }

    @Test
    @Order(4)
    void tenantBindingUnderLoadSeesAndWritesNoForeignRowAndARequestWithoutTenantFails() throws Exception {
        List<String> tenants = List.of(UUID.randomUUID().toString(), UUID.randomUUID().toString());
        BootApp.Traffic traffic = app.twoTenantTraffic(tenants, 8, 500);
        assertThat(traffic.foreign()).as("foreign rows seen or written").isZero();
        assertThat(count("SELECT count(*) FROM orders")).as("rows written, counted by the superuser").isEqualTo(traffic.written());
        assertThat(count("SELECT count(DISTINCT tenant_id) FROM orders")).isEqualTo(2);

        HttpResponse<String> noTenant = app.get("/orders");
        assertThat(noTenant.statusCode()).as(noTenant.body()).isEqualTo(500);
        assertThat(noTenant.body()).contains("io.ampora.dbguard.rls.MissingTenantException");
        HttpResponse<String> noTenantWrite = app.send(app.request("/orders?item=x").POST(HttpRequest.BodyPublishers.noBody()), null);
        assertThat(noTenantWrite.statusCode()).isEqualTo(500);
        assertThat(count("SELECT count(*) FROM orders")).as("nothing written without a tenant").isEqualTo(traffic.written());
    }

    private static long sessions() throws Exception {
        return count("SELECT sessions FROM pg_catalog.pg_stat_database WHERE datname = current_database()");
    }

    private static long count(String sql) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("SELECT pg_catalog.pg_stat_clear_snapshot()");
            try (ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
