package io.ampora.dbguard.runbook.queries;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

@WithPostgres(settings = "shared_preload_libraries=pg_stat_statements")
class JsonbGinIndexCheckTest {

    private static void run(TestDatabase db, String sql, int times) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            for (int i = 0; i < times; i++) {
                st.execute(sql);
            }
        }
    }

    @Test
    void reportsContainmentFilteredColumnWithoutGinIndexUntilTheIndexExists(TestDatabase db) throws Exception {
        db.execute("""
                CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
                CREATE TABLE orders (id bigserial PRIMARY KEY, attributes jsonb NOT NULL);
                INSERT INTO orders (attributes)
                    SELECT jsonb_build_object('k', 'v' || (g % 100), 'n', g) FROM generate_series(1, 20000) g;
                ANALYZE orders;
                """);
        run(db, "SELECT count(*) FROM orders WHERE attributes @> '{\"k\":\"v1\"}'", 5);

        CheckResult result = Checks.run(db.dataSource(), new JsonbGinIndexCheck());

        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        assertThat(Checks.withDetail(result, "table", "public.orders")).singleElement().satisfies(f -> {
            assertThat(f.details()).containsEntry("column", "attributes")
                    .containsEntry("operators", "@>")
                    .containsEntry("fix", "CREATE INDEX CONCURRENTLY ON public.orders USING gin (attributes);");
            assertThat((Long) f.details().get("calls")).isGreaterThanOrEqualTo(5L);
            assertThat((Long) f.details().get("seqScans")).isGreaterThanOrEqualTo(5L);
            assertThat(f.details().get("exampleQuery").toString()).contains("attributes @>");
            assertThat(f.message()).contains("public.orders.attributes is filtered with @>", "no GIN index");
        });

        db.execute("CREATE INDEX CONCURRENTLY ON public.orders USING gin (attributes)");

        CheckResult after = Checks.run(db.dataSource(), new JsonbGinIndexCheck());
        assertThat(Checks.withDetail(after, "table", "public.orders")).isEmpty();
    }

    @Test
    void pathOpsIndexDoesNotServeTheExistenceOperatorOnAWeirdlyNamedTable(TestDatabase db) throws Exception {
        db.execute("""
                CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
                CREATE SCHEMA "Json Schema";
                CREATE TABLE "Json Schema"."Order ""Items""\" (id bigserial PRIMARY KEY, "Tags" jsonb NOT NULL);
                INSERT INTO "Json Schema"."Order ""Items""\" ("Tags")
                    SELECT jsonb_build_object('t' || (g % 50), true) FROM generate_series(1, 20000) g;
                CREATE INDEX ON "Json Schema"."Order ""Items""\" USING gin ("Tags" jsonb_path_ops);
                ANALYZE "Json Schema"."Order ""Items""\";
                """);
        run(db, "SELECT count(*) FROM \"Json Schema\".\"Order \"\"Items\"\"\" WHERE \"Tags\" ? 't7'", 3);
        run(db, "SELECT count(*) FROM \"Json Schema\".\"Order \"\"Items\"\"\" WHERE \"Tags\" @> '{\"t7\": true}'", 3);

        CheckResult result = Checks.run(db.dataSource(), new JsonbGinIndexCheck());

        String table = "\"Json Schema\".\"Order \"\"Items\"\"\"";
        assertThat(Checks.withDetail(result, "table", table)).singleElement().satisfies(f -> {
            assertThat(f.details()).containsEntry("column", "Tags")
                    .containsEntry("operators", "?")
                    .containsEntry("existingGinOpclasses", "jsonb_path_ops")
                    .containsEntry("fix", "CREATE INDEX CONCURRENTLY ON " + table + " USING gin (\"Tags\");");
            assertThat(f.message()).contains("jsonb_path_ops, which serves only @>");
        });
    }

    @Test
    void skipsWithoutPgStatStatementsAndPassesWhenNoJsonbIsFiltered(TestDatabase db) throws Exception {
        try (TestDatabase plain = TestDatabase.create(PostgresServers.get(ServerSpec.defaults()), JsonbGinIndexCheckTest.class)) {
            CheckResult skipped = Checks.run(plain.dataSource(), new JsonbGinIndexCheck());

            assertThat(skipped.status()).isEqualTo(CheckStatus.SKIP);
            assertThat(skipped.summary()).contains("CREATE EXTENSION pg_stat_statements");
        }
        try (TestDatabase healthy = TestDatabase.create(db.server(), JsonbGinIndexCheckTest.class)) {
            healthy.execute("""
                    CREATE EXTENSION pg_stat_statements;
                    CREATE TABLE events (id bigserial PRIMARY KEY, body jsonb);
                    INSERT INTO events (body) SELECT jsonb_build_object('n', g) FROM generate_series(1, 20000) g;
                    ANALYZE events;
                    """);
            run(healthy, "SELECT count(*) FROM events WHERE id = 1", 5);

            CheckResult result = Checks.run(healthy.dataSource(), new JsonbGinIndexCheck());

            assertThat(result.status()).isEqualTo(CheckStatus.PASS);
            assertThat(result.findings()).isEmpty();
        }
    }
}
