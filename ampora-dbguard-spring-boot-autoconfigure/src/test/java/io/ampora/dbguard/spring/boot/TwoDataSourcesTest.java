package io.ampora.dbguard.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ampora.dbguard.DbGuardConfigurationException;
import io.ampora.dbguard.hikari.GuardedPool;
import io.ampora.dbguard.spring.boot.twods.TwoDataSourcesApplication;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.time.Duration;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;

/**
 * Several DataSource beans: every one is decorated, the guard (checks, readiness, startup verification) covers the
 * {@code @Primary} one; with none primary the start fails naming them instead of guarding one at random.
 */
class TwoDataSourcesTest {

    private static TestDatabase orders;
    private static TestDatabase reports;
    private static String role;

    @BeforeAll
    static void databases() throws Exception {
        PostgresServer server = PostgresServers.get(ServerSpec.defaults());
        orders = TestDatabase.create(server, TwoDataSourcesTest.class);
        reports = TestDatabase.create(server, TwoDataSourcesTest.class);
        role = BootApp.appRole(orders);
        reports.execute("ALTER DATABASE " + reports.name() + " OWNER TO " + role);
    }

    @AfterAll
    static void drop() {
        if (orders != null) {
            orders.close();
        }
        if (reports != null) {
            reports.close();
        }
    }

    private static Map<String, Object> properties(String primary) {
        Map<String, Object> p = BootApp.properties(orders, role);
        p.remove("spring.datasource.url");
        p.put("ampora.dbguard.tenant.enabled", "false");
        p.put("spring.flyway.enabled", "false");
        p.put("test.orders.url", orders.jdbcUrl());
        p.put("test.reports.url", reports.jdbcUrl());
        p.put("test.user", role);
        p.put("test.password", BootApp.PASSWORD);
        p.put("test.primary", primary);
        return p;
    }

    @Test
    void everyDataSourceIsDecoratedAndTheGuardCoversThePrimaryOne() throws Exception {
        try (BootApp app = BootApp.start(TwoDataSourcesApplication.class, properties("orders"))) {
            for (String name : new String[] {"ordersDataSource", "reportsDataSource"}) {
                DataSource ds = app.context.getBean(name, DataSource.class);
                assertThat(ds.isWrapperFor(GuardedPool.class)).as("%s decorated with the pool guard", name).isTrue();
            }
            app.await("/actuator/health/readiness", r -> r.statusCode() == 200, Duration.ofSeconds(30));
            JsonNode report = new ObjectMapper().readTree(app.get("/actuator/dbguard").body());
            assertThat(report.get("database").asText()).as("the guarded database")
                    .endsWith("/" + orders.name()).doesNotContain(reports.name());
            String poolSaturation = "";
            for (JsonNode check : report.get("checks")) {
                if (check.get("id").asText().equals("pool-saturation")) {
                    poolSaturation = check.get("summary").asText();
                }
            }
            assertThat(poolSaturation).as("the pool checks watch the primary's pool").contains("ordersDataSource")
                    .doesNotContain("reportsDataSource");
        }
    }

    @Test
    void twoDataSourcesWithoutPrimaryStopStartupNamingThem() {
        assertThatThrownBy(() -> new SpringApplicationBuilder(TwoDataSourcesApplication.class).properties(properties("none")).run())
                .hasRootCauseInstanceOf(DbGuardConfigurationException.class)
                .rootCause().hasMessageContaining("[ordersDataSource, reportsDataSource]").hasMessageContaining("@Primary");
    }
}
