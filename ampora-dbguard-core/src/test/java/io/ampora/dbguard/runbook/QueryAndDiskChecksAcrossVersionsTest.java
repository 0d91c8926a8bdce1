package io.ampora.dbguard.runbook;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.runbook.disk.DiskSpace;
import io.ampora.dbguard.runbook.disk.DiskUsageCheck;
import io.ampora.dbguard.runbook.queries.FkIndexCheck;
import io.ampora.dbguard.runbook.queries.JsonbGinIndexCheck;
import io.ampora.dbguard.runbook.queries.SlowQueriesCheck;
import io.ampora.dbguard.runbook.queries.VacuumHealthCheck;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Runs the slow-query and disk checks on the oldest and newest supported PostgreSQL: none may be UNKNOWN. */
class QueryAndDiskChecksAcrossVersionsTest {

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "16", "17", "18"})
    void everyCheckConcludesOnThisVersion(String version) throws Exception {
        Assumptions.assumeTrue(PostgresServers.embedded(), "needs the embedded servers of each version");
        ServerSpec spec = new ServerSpec(version, Map.of("shared_preload_libraries", "pg_stat_statements"), false);
        try (TestDatabase db = TestDatabase.create(PostgresServers.get(spec), QueryAndDiskChecksAcrossVersionsTest.class)) {
            db.execute("""
                    CREATE EXTENSION pg_stat_statements;
                    CREATE TABLE customer (id bigint PRIMARY KEY);
                    CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint REFERENCES customer,
                                         attributes jsonb NOT NULL);
                    INSERT INTO orders (attributes)
                        SELECT jsonb_build_object('k', 'v' || (g % 10)) FROM generate_series(1, 12000) g;
                    ANALYZE orders;
                    """);
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
                for (int i = 0; i < 5; i++) {
                    st.execute("SELECT count(*) FROM orders WHERE attributes @> '{\"k\":\"v1\"}'");
                    st.execute("SELECT pg_sleep(0.11)");
                }
            }
            List<DatabaseCheck> checks = List.of(new SlowQueriesCheck(), new JsonbGinIndexCheck(), new FkIndexCheck(),
                    new VacuumHealthCheck(), new DiskUsageCheck(() -> new DiskSpace(50, 100)));

            for (DatabaseCheck check : checks) {
                CheckResult result = Checks.run(db.dataSource(), check);
                assertThat(result.status()).as(check.id() + " on " + version + ": " + result.summary())
                        .isNotEqualTo(CheckStatus.UNKNOWN).isNotEqualTo(CheckStatus.SKIP);
            }
            assertThat(Checks.run(db.dataSource(), new SlowQueriesCheck()).summary()).contains("pg_sleep");
            assertThat(Checks.withDetail(Checks.run(db.dataSource(), new JsonbGinIndexCheck()), "table", "public.orders"))
                    .hasSize(1);
            assertThat(Checks.withDetail(Checks.run(db.dataSource(), new FkIndexCheck()), "table", "public.orders"))
                    .hasSize(1);
        }
    }
}
