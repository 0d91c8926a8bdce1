package io.ampora.dbguard.health;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.monitor.DbGuardMonitor;
import io.ampora.dbguard.monitor.MonitorConfig;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 19, bug 6: a probe used to get the full pretty-printed report on every request (10.5 KB for 26
 * checks). {@code /health/ready} and {@code /health/live} now answer the status and, in full, only the
 * checks that make the probe DOWN; a check that is UP keeps its name, status and {@code data.checkStatus}.
 * The full answer stays at {@code /health/report} (and {@code ?full=true} on a probe path).
 */
@WithPostgres
class CompactProbeAnswerTest {

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void readinessAnswersTheFailingCheckInFullAndTheOthersByNameAndStatusOnly(TestDatabase db) throws Exception {
        List<DatabaseCheck> checks = new ArrayList<>(DbGuard.discoverChecks());
        checks.add(new OrdersTableMissing());
        DbGuard guard = DbGuard.builder().dataSource(db.dataSource()).checks(checks).build();
        try (DbGuardMonitor monitor = guard.monitor(MonitorConfig.builder().defaultInterval(Duration.ofHours(1)).build());
             HealthServer health = HealthServer.start(monitor, new InetSocketAddress("127.0.0.1", 0))) {
            monitor.refresh();
            String base = "http://127.0.0.1:" + health.port() + "/health/";

            HttpResponse<String> ready = get(base + "ready");
            HttpResponse<String> full = get(base + "ready?full=true");
            HttpResponse<String> report = get(base + "report");
            HttpResponse<String> live = get(base + "live");

            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body().strip()).as("one line, no indentation").doesNotContain("\n").doesNotContain("  ");
            JsonNode body = json.readTree(ready.body());
            assertThat(body.get("status").asText()).isEqualTo("DOWN");
            JsonNode failing = checkNamed(body, "orders-table");
            assertThat(failing.get("status").asText()).isEqualTo("DOWN");
            assertThat(failing.get("data").get("summary").asText()).isEqualTo("Table public.orders does not exist.");
            assertThat(failing.get("data").get("remediation").asText()).contains("run the migrations");
            assertThat(failing.get("data").get("table").asText()).isEqualTo("public.orders");
            JsonNode connectivity = checkNamed(body, "connectivity");
            assertThat(connectivity.get("status").asText()).isEqualTo("UP");
            assertThat(connectivity.get("data").get("checkStatus").asText()).isEqualTo("PASS");
            assertThat(connectivity.get("data").has("summary")).as("an UP check carries no summary").isFalse();

            assertThat(full.statusCode()).isEqualTo(503);
            assertThat(checkNamed(json.readTree(full.body()), "connectivity").get("data").get("summary").asText())
                    .startsWith("Connected in");
            assertThat(ready.body().length()).isLessThan(full.body().length() / 2);
            assertThat(json.readTree(report.body()).get("checks").size()).isEqualTo(checks.size());
            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(live.body().strip()).isEqualTo("{\"status\":\"UP\",\"checks\":[]}");
        }
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode checkNamed(JsonNode body, String name) {
        for (JsonNode check : body.get("checks")) {
            if (check.get("name").asText().equals(name)) {
                return check;
            }
        }
        throw new AssertionError("no check named " + name + " in " + body);
    }

    /** A check that fails as a migration check would on a database nobody migrated. */
    static final class OrdersTableMissing implements DatabaseCheck {
        @Override
        public String id() {
            return "orders-table";
        }

        @Override
        public RunbookSection runbook() {
            return RunbookSection.CANNOT_MIGRATE;
        }

        @Override
        public String description() {
            return "The orders table exists.";
        }

        @Override
        public CheckResult run(CheckContext context) throws Exception {
            try (var st = context.connection().createStatement();
                 var rs = st.executeQuery("SELECT pg_catalog.to_regclass('public.orders') IS NOT NULL")) {
                rs.next();
                if (rs.getBoolean(1)) {
                    return CheckResult.pass(this, "Table public.orders exists.");
                }
            }
            return CheckResult.builder(this).status(CheckStatus.FAIL).summary("Table public.orders does not exist.")
                    .finding(Finding.builder("No table public.orders.").detail("table", "public.orders").build())
                    .remediation("Point the application at the right database, or run the migrations.").build();
        }
    }
}
