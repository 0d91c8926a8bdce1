package io.ampora.dbguard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.NamedTestCheck;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

@WithPostgres
class DbGuardRunnerTest {

    @Test
    void healthyEmbeddedDatabasePassesEveryConnectionCheck(TestDatabase db) {
        Report report = DbGuard.builder().dataSource(db.dataSource()).build().report();

        assertThat(report.result("connectivity")).get().extracting(CheckResult::status).isEqualTo(CheckStatus.PASS);
        assertThat(report.result("connection-headroom")).get().extracting(CheckResult::status).isEqualTo(CheckStatus.PASS);
        assertThat(report.result("tls")).get().satisfies(r -> {
            assertThat(r.status()).isEqualTo(CheckStatus.PASS);
            assertThat(r.summary()).contains("Loopback");
        });
        assertThat(report.serverVersion()).isNotEmpty();
        assertThat(report.status()).isEqualTo(CheckStatus.PASS);
    }

    @Test
    void checkSessionIsReadOnlySoACheckCannotWrite(TestDatabase db) throws Exception {
        DatabaseCheck writer = new FakeCheck("tries-to-write") {
            @Override
            public CheckResult run(CheckContext context) throws Exception {
                try (Statement st = context.connection().createStatement()) {
                    st.execute("CREATE TABLE written_by_a_check (id int)");
                }
                return CheckResult.pass(this, "wrote");
            }
        };

        Report report = DbGuard.builder().dataSource(db.dataSource()).checks(List.of(writer)).build().report();

        CheckResult result = report.result("tries-to-write").orElseThrow();
        assertThat(result.status()).isEqualTo(CheckStatus.UNKNOWN);
        assertThat(result.summary()).contains("read-only transaction");
        assertThat(db.queryString("SELECT count(*) FROM pg_class WHERE relname = 'written_by_a_check'")).isEqualTo("0");
    }

    @Test
    void checkSessionCarriesLocalTimeoutsThatDieWithItsTransaction(TestDatabase db) {
        DatabaseCheck settings = new FakeCheck("reads-settings") {
            @Override
            public CheckResult run(CheckContext context) throws Exception {
                try (Statement st = context.connection().createStatement();
                     ResultSet rs = st.executeQuery("SELECT current_setting('statement_timeout'),"
                             + " current_setting('lock_timeout'), current_setting('transaction_read_only'),"
                             + " current_setting('application_name')")) {
                    rs.next();
                    return CheckResult.pass(this, rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3)
                            + "|" + rs.getString(4));
                }
            }
        };

        Report report = DbGuard.builder().dataSource(db.dataSource()).checks(List.of(settings))
                .checkTimeout(Duration.ofSeconds(3)).build().report();

        assertThat(report.result("reads-settings").orElseThrow().summary()).isEqualTo("3s|1s|on|ampora-dbguard");
    }

    @Test
    void hangingCheckIsCutOffAtItsTimeoutWhileTheOthersStillReport(TestDatabase db) {
        DatabaseCheck sleeper = new FakeCheck("sleeps") {
            @Override
            public CheckResult run(CheckContext context) throws Exception {
                try (Statement st = context.connection().createStatement()) {
                    st.execute("SELECT pg_sleep(30)");
                }
                return CheckResult.pass(this, "slept");
            }
        };
        DatabaseCheck spinner = new FakeCheck("spins-in-java") {
            @Override
            public CheckResult run(CheckContext context) throws Exception {
                Thread.sleep(30_000);
                return CheckResult.pass(this, "spun");
            }
        };
        List<DatabaseCheck> checks = new java.util.ArrayList<>(DbGuard.discoverChecks());
        checks.add(sleeper);
        checks.add(spinner);

        long start = System.nanoTime();
        Report report = DbGuard.builder().dataSource(db.dataSource()).checks(checks)
                .checkTimeout(Duration.ofSeconds(1)).build().report();
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(report.result("sleeps").orElseThrow()).satisfies(r -> {
            assertThat(r.status()).isEqualTo(CheckStatus.UNKNOWN);
            assertThat(r.summary()).contains("statement_timeout");
        });
        assertThat(report.result("spins-in-java").orElseThrow()).satisfies(r -> {
            assertThat(r.status()).isEqualTo(CheckStatus.UNKNOWN);
            assertThat(r.summary()).contains("cut off");
        });
        assertThat(report.result("connectivity").orElseThrow().status()).isEqualTo(CheckStatus.PASS);
        assertThat(report.result("connection-headroom").orElseThrow().status()).isEqualTo(CheckStatus.PASS);
        assertThat(took).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void checkThatThrowsBecomesUnknownWithTheReason(TestDatabase db) {
        DatabaseCheck broken = new FakeCheck("throws") {
            @Override
            public CheckResult run(CheckContext context) {
                throw new IllegalStateException("boom in the check");
            }
        };

        Report report = DbGuard.builder().dataSource(db.dataSource()).checks(List.of(broken)).build().report();

        assertThat(report.result("throws").orElseThrow().summary()).contains("boom in the check");
        assertThat(report.status()).isEqualTo(CheckStatus.UNKNOWN);
    }

    @Test
    void unknownFailsVerificationOnlyWhenConfigured(TestDatabase db) {
        DatabaseCheck broken = new FakeCheck("throws") {
            @Override
            public CheckResult run(CheckContext context) {
                throw new IllegalStateException("boom");
            }
        };
        DbGuard lenient = DbGuard.builder().dataSource(db.dataSource()).checks(List.of(broken)).build();
        DbGuard strict = DbGuard.builder().dataSource(db.dataSource()).checks(List.of(broken)).unknownIsFailure(true).build();

        assertThat(lenient.verifyOrFail().status()).isEqualTo(CheckStatus.UNKNOWN);
        org.assertj.core.api.Assertions.assertThatThrownBy(strict::verifyOrFail)
                .isInstanceOf(DbGuardVerificationException.class)
                .hasMessageContaining("throws [UNKNOWN");
    }

    @Test
    void jsonReportKeepsTheDocumentedKeys(TestDatabase db) throws Exception {
        Report report = DbGuard.builder().dataSource(db.dataSource()).set("connection-headroom.warnPercent", "0").build().report();

        JsonNode json = new ObjectMapper().readTree(report.toJson());

        assertThat(json.get("status").asText()).isEqualTo("WARN");
        JsonNode headroom = null;
        for (JsonNode check : json.get("checks")) {
            assertThat(check.has("id") && check.has("status") && check.has("summary") && check.has("runbook")
                    && check.has("remediation") && check.has("findings")).isTrue();
            if (check.get("id").asText().equals("connection-headroom")) {
                headroom = check;
            }
        }
        assertThat(headroom).isNotNull();
        assertThat(headroom.get("runbook").asText()).isEqualTo("1. Cannot connect");
        assertThat(headroom.get("findings").get(0).get("message").asText()).containsPattern("^\\d+ sessions? of .+ as .+: ");
        assertThat(headroom.get("findings").get(0).get("details").has("applicationName")).isTrue();
    }

    abstract static class FakeCheck extends NamedTestCheck {
        FakeCheck(String id) {
            super(id, "a test check");
        }
    }
}
