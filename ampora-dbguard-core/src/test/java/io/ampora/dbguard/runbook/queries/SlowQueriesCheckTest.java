package io.ampora.dbguard.runbook.queries;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

@WithPostgres(settings = "shared_preload_libraries=pg_stat_statements")
class SlowQueriesCheckTest {

    @BeforeAll
    static void runASlowStatementSixTimes(TestDatabase db) throws Exception {
        db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            for (int i = 0; i < 6; i++) {
                st.execute("SELECT pg_sleep(0.15) /* slow-report */");
            }
        }
    }

    @Test
    void reportsSlowStatementWithItsTextAndMean(TestDatabase db) {
        CheckResult result = Checks.run(db.dataSource(), new SlowQueriesCheck());

        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        Finding slow = result.findings().stream()
                .filter(f -> String.valueOf(f.details().get("query")).contains("pg_sleep")).findFirst().orElseThrow();
        assertThat((Double) slow.details().get("meanMs")).isGreaterThanOrEqualTo(150.0).isLessThan(1000.0);
        assertThat((Long) slow.details().get("calls")).isGreaterThanOrEqualTo(6L);
        assertThat(slow.details().get("rankedBy").toString()).contains("mean");
        assertThat(slow.message()).contains("over the 100ms line", "pg_sleep");
        assertThat(result.summary()).contains("pg_sleep");
        assertThat(result.remediation()).contains("EXPLAIN (ANALYZE, BUFFERS)");
    }

    @Test
    void failsWhenMeanExceedsFailMean(TestDatabase db) {
        CheckResult result = Checks.run(db.dataSource(), new SlowQueriesCheck(), "failMean", "120ms");

        assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
    }

    @Test
    void statementsWithTooFewCallsAreIgnored(TestDatabase db) {
        CheckResult result = Checks.run(db.dataSource(), new SlowQueriesCheck(), "minCalls", "1000");

        assertThat(result.status()).isEqualTo(CheckStatus.PASS);
        assertThat(result.findings()).isEmpty();
    }

    @Test
    void unprivilegedRoleSeesTheMeanButNotTheTextAndIsToldWhy(TestDatabase db) throws Exception {
        db.createRole("slowq_reader", "reader-pw", "");

        CheckResult result = Checks.run(db.dataSource("slowq_reader", "reader-pw"), new SlowQueriesCheck());

        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        assertThat(result.findings()).anySatisfy(f -> {
            assertThat(f.details().get("query").toString()).contains("<insufficient privilege>");
            assertThat((Double) f.details().get("meanMs")).isGreaterThanOrEqualTo(150.0);
        });
        assertThat(result.findings()).anySatisfy(f ->
                assertThat(f.details()).containsEntry("grant", "GRANT pg_read_all_stats TO slowq_reader"));
        assertThat(result.findings()).noneMatch(f -> String.valueOf(f.details().get("query")).contains("pg_sleep"));
    }

    @Test
    void skipsWithHowToEnableWhenTheExtensionIsMissingOrNotPreloaded() throws Exception {
        try (TestDatabase plain = TestDatabase.create(PostgresServers.get(ServerSpec.defaults()), SlowQueriesCheckTest.class)) {
            CheckResult missing = Checks.run(plain.dataSource(), new SlowQueriesCheck());

            assertThat(missing.status()).isEqualTo(CheckStatus.SKIP);
            assertThat(missing.summary()).contains("not installed", "shared_preload_libraries",
                    "CREATE EXTENSION pg_stat_statements");

            plain.execute("CREATE EXTENSION pg_stat_statements");
            CheckResult notLoaded = Checks.run(plain.dataSource(), new SlowQueriesCheck());

            assertThat(notLoaded.status()).isEqualTo(CheckStatus.SKIP);
            assertThat(notLoaded.summary()).contains("not loaded", "shared_preload_libraries");
        }
    }
}
