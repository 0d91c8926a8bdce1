package io.ampora.dbguard.runbook.versions;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tables with data and no planner statistics, as a {@code pg_upgrade} before PostgreSQL 18 leaves them: the data
 * files are there, {@code pg_statistic} has no row for them and the activity counters are zero, so autovacuum sees
 * nothing to analyze. Made here the same way: rows loaded with autovacuum off for the table, then its counters reset
 * ({@code pg_stat_reset_single_table_counters}), so neither statistics nor a reason to gather them remain. And a
 * partitioned table whose partitions were analyzed (as autovacuum does) while the partitioned table itself never is.
 * And extended statistics objects created after their table's last ANALYZE, which have no data until the next one
 * (as after any pg_upgrade, which never carries them over).
 */
class MissingStatisticsCheckTest {

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void tableLeftWithoutStatisticsAsByAnUpgradeIsNamedUntilAnalyzeRuns(String version) throws Exception {
        PostgresServer server = PostgresServers.get(ServerSpec.defaults().onVersion(version));
        try (TestDatabase db = TestDatabase.create(server, MissingStatisticsCheckTest.class)) {
            db.execute("""
                    CREATE TABLE orders (id bigint, customer int, note text) WITH (autovacuum_enabled = false);
                    INSERT INTO orders SELECT g, g % 1000, repeat('x', 60) FROM generate_series(1, 40000) g;
                    CREATE STATISTICS orders_customer_note ON customer, note FROM orders;
                    CREATE TABLE countries (code text, name text) WITH (autovacuum_enabled = false);
                    INSERT INTO countries SELECT 'c' || g, 'country ' || g FROM generate_series(1, 200) g;
                    CREATE TABLE customers (id bigint, name text);
                    INSERT INTO customers SELECT g, repeat('n', 60) FROM generate_series(1, 40000) g;
                    ANALYZE customers;
                    SELECT pg_stat_reset_single_table_counters('orders'::regclass);
                    ALTER TABLE orders RESET (autovacuum_enabled);
                    """);
            assertThat(db.queryString("SELECT count(*) FROM pg_stats WHERE tablename = 'orders'"))
                    .as("no statistics for orders, as pg_upgrade leaves it").isEqualTo("0");

            CheckResult before = Checks.run(db.dataSource(), new MissingStatisticsCheck());

            assertThat(before.status()).as(before.toString()).isEqualTo(CheckStatus.WARN);
            assertThat(before.summary()).startsWith("1 table holds data but has no planner statistics: the planner"
                    + " guesses their rows and selectivities");
            // its statistics object has no data either: the table's ANALYZE covers it, no finding of its own
            assertThat(before.findings()).singleElement().satisfies(f -> {
                assertThat(f.details()).containsEntry("table", "public.orders").containsEntry("partitioned", false)
                        .containsEntry("lastAnalyze", "never").containsEntry("lastAutoanalyze", "never")
                        .containsEntry("fix", "ANALYZE public.orders;");
                assertThat((Long) f.details().get("bytes")).isGreaterThan(1024L * 1024);
                assertThat(f.message()).contains("what a pg_upgrade before PostgreSQL 18 or a restore leaves until"
                        + " ANALYZE runs");
            });
            assertThat(before.remediation()).startsWith("ANALYZE public.orders;")
                    .contains("vacuumdb --all --analyze-in-stages");
            assertThat(Checks.run(db.dataSource(), new MissingStatisticsCheck(), "minSize", "1024")
                    .findings()).as("countries is below the default minSize, not below 1024 bytes")
                    .anySatisfy(f -> assertThat(f.details()).containsEntry("table", "public.countries"));

            db.execute("ANALYZE orders; ANALYZE countries");

            CheckResult after = Checks.run(db.dataSource(), new MissingStatisticsCheck());
            assertThat(after.status()).as(after.toString()).isEqualTo(CheckStatus.PASS);
        }
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void partitionedTableIsNamedAlthoughEveryPartitionWasAnalyzed(String version) throws Exception {
        PostgresServer server = PostgresServers.get(ServerSpec.defaults().onVersion(version));
        try (TestDatabase db = TestDatabase.create(server, MissingStatisticsCheckTest.class)) {
            db.execute("""
                    CREATE TABLE events (day date, tenant int, body text) PARTITION BY RANGE (day);
                    CREATE TABLE events_2026_11 PARTITION OF events FOR VALUES FROM ('2026-11-01') TO ('2026-12-01');
                    CREATE TABLE events_2026_12 PARTITION OF events FOR VALUES FROM ('2026-12-01') TO ('2027-01-01');
                    INSERT INTO events SELECT DATE '2026-11-01' + (g % 60), g % 50, repeat('e', 60)
                    FROM generate_series(1, 40000) g;
                    ANALYZE events_2026_11;
                    ANALYZE events_2026_12;
                    """);

            CheckResult result = Checks.run(db.dataSource(), new MissingStatisticsCheck());

            assertThat(result.status()).as(result.toString()).isEqualTo(CheckStatus.WARN);
            assertThat(result.findings()).singleElement().satisfies(f -> {
                assertThat(f.details()).containsEntry("table", "public.events").containsEntry("partitioned", true);
                assertThat(f.message()).contains("autovacuum analyzes its partitions but never the partitioned table");
            });
            assertThat(result.remediation()).contains("Autovacuum will never analyze public.events: schedule ANALYZE on it");

            db.execute("ANALYZE events");
            assertThat(Checks.run(db.dataSource(), new MissingStatisticsCheck()).status()).isEqualTo(CheckStatus.PASS);
        }
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void tablesUnderRowLevelSecurityAreNamedAsNotJudgedUntilAnalyzedNeverAsMissingOrFine(String version)
            throws Exception {
        PostgresServer server = PostgresServers.get(ServerSpec.defaults().onVersion(version));
        try (TestDatabase db = TestDatabase.create(server, MissingStatisticsCheckTest.class)) {
            db.createRole("stats_tenant_app", "Stats-Pw-1", "");
            db.execute("""
                    CREATE TABLE invoices (tenant_id text, amount numeric, body text) WITH (autovacuum_enabled = false);
                    INSERT INTO invoices SELECT 't' || (g % 10), g, repeat('i', 60) FROM generate_series(1, 40000) g;
                    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
                    CREATE POLICY tenant ON invoices USING (tenant_id = current_setting('app.tenant_id', true));
                    GRANT SELECT ON invoices TO stats_tenant_app;
                    """);

            CheckResult asApp = Checks.run(db.dataSource("stats_tenant_app", "Stats-Pw-1"), new MissingStatisticsCheck());

            assertThat(asApp.status()).as(asApp.toString()).isEqualTo(CheckStatus.UNKNOWN);
            assertThat(asApp.summary()).contains("1 table of at least 1MB could not be judged");
            assertThat(asApp.remediation()).contains("public.invoices", "row-level security active");
            assertThat(Checks.run(db.dataSource(), new MissingStatisticsCheck()).status()).as("as the owner")
                    .isEqualTo(CheckStatus.WARN);

            db.execute("ANALYZE invoices");
            // the activity statistics say it was analyzed (a moment later before PostgreSQL 15)
            Checks.await("the role sees the table as analyzed", () -> Checks.run(
                    db.dataSource("stats_tenant_app", "Stats-Pw-1"), new MissingStatisticsCheck()).status() == CheckStatus.PASS);
        }
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void aTableUnderAnAccessExclusiveLockIsCountedNotWaitedFor(String version) throws Exception {
        PostgresServer server = PostgresServers.get(ServerSpec.defaults().onVersion(version));
        try (TestDatabase db = TestDatabase.create(server, MissingStatisticsCheckTest.class)) {
            db.execute("""
                    CREATE TABLE ledger (id bigint, note text);
                    INSERT INTO ledger SELECT g, repeat('l', 60) FROM generate_series(1, 40000) g;
                    CREATE TABLE events (day date) PARTITION BY RANGE (day);
                    CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
                    """);
            try (java.sql.Connection migration = db.openSession()) {
                migration.setAutoCommit(false);
                try (java.sql.Statement st = migration.createStatement()) {
                    st.execute("LOCK TABLE ledger, events_2026 IN ACCESS EXCLUSIVE MODE");
                }

                CheckResult result = Checks.run(db.dataSource(), new MissingStatisticsCheck());

                assertThat(result.status()).as(result.toString()).isEqualTo(CheckStatus.PASS);
                assertThat(result.summary()).contains("3 tables were not measured: an ACCESS EXCLUSIVE lock is held or"
                        + " asked for on them");
                migration.rollback();
            }
            assertThat(Checks.run(db.dataSource(), new MissingStatisticsCheck()).findings())
                    .anySatisfy(f -> assertThat(f.details()).containsEntry("table", "public.ledger"));
        }
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void statisticsObjectCreatedAfterTheLastAnalyzeIsNamedUntilItsTableIsAnalyzedAgain(String version) throws Exception {
        PostgresServer server = PostgresServers.get(ServerSpec.defaults().onVersion(version));
        try (TestDatabase db = TestDatabase.create(server, MissingStatisticsCheckTest.class)) {
            db.execute("""
                    CREATE SCHEMA "Sales Data";
                    CREATE TABLE "Sales Data"."Order ""Lines"" 2026" (id bigint, customer int, region int, note text)
                    WITH (autovacuum_enabled = false);
                    INSERT INTO "Sales Data"."Order ""Lines"" 2026" SELECT g, g % 1000, g % 1000 / 10, repeat('x', 60)
                    FROM generate_series(1, 40000) g;
                    CREATE TABLE events (day date, tenant int, kind int) PARTITION BY RANGE (day);
                    CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
                    INSERT INTO events SELECT DATE '2026-01-01' + (g % 300), g % 50, g % 50 / 5
                    FROM generate_series(1, 60000) g;
                    CREATE TABLE audit (id bigint, actor int, action int);
                    ANALYZE "Sales Data"."Order ""Lines"" 2026"; ANALYZE events; ANALYZE audit;
                    -- what a migration adds after the table was analyzed
                    CREATE STATISTICS "Sales Data"."Customer ""Region"" Stats" ON customer, region
                    FROM "Sales Data"."Order ""Lines"" 2026";
                    CREATE STATISTICS "Sales Data".lines_id_mcv (mcv) ON id, customer FROM "Sales Data"."Order ""Lines"" 2026";
                    CREATE STATISTICS events_tenant_kind (ndistinct) ON tenant, kind FROM events;
                    -- not reported: an empty table, and an object ANALYZE is told not to build
                    CREATE STATISTICS audit_actor_action ON actor, action FROM audit;
                    CREATE STATISTICS "Sales Data".lines_off ON id, note FROM "Sales Data"."Order ""Lines"" 2026";
                    ALTER STATISTICS "Sales Data".lines_off SET STATISTICS 0;
                    """);

            CheckResult before = Checks.run(db.dataSource(), new MissingStatisticsCheck(), "minSize", "1024");

            assertThat(before.status()).as(before.toString()).isEqualTo(CheckStatus.WARN);
            assertThat(before.summary()).contains("extended statistics objects (CREATE STATISTICS) on tables with data"
                    + " have no data yet").doesNotContain("planner statistics:");
            assertThat(before.findings()).anySatisfy(f -> {
                assertThat(f.details()).containsEntry("statistics", "\"Sales Data\".\"Customer \"\"Region\"\" Stats\"")
                        .containsEntry("table", "\"Sales Data\".\"Order \"\"Lines\"\" 2026\"")
                        .containsEntry("partitioned", false)
                        .containsEntry("columns", "customer, region")
                        .containsEntry("kinds", "ndistinct, dependencies, mcv")
                        .containsEntry("fix", "ANALYZE \"Sales Data\".\"Order \"\"Lines\"\" 2026\";");
                assertThat(f.message()).contains("has no data: the planner plans as if it did not exist",
                        "pg_upgrade carries none over, PostgreSQL 18 included");
            }).anySatisfy(f -> {
                // a partitioned table's object is built from its partitions' rows, by an ANALYZE of the parent only
                assertThat(f.details()).containsEntry("statistics", "public.events_tenant_kind")
                        .containsEntry("partitioned", true).containsEntry("kinds", "ndistinct");
                assertThat(f.message()).contains("Autovacuum never analyzes a partitioned table");
            }).noneSatisfy(f -> assertThat(f.details().get("statistics"))
                    .isIn("public.audit_actor_action", "\"Sales Data\".lines_off"));
            assertThat(before.remediation()).startsWith("ANALYZE \"Sales Data\".\"Order \"\"Lines\"\" 2026\", public.events;")
                    .contains("pg_upgrade carries no extended statistics over, PostgreSQL 18 included",
                            "vacuumdb --all --analyze-in-stages --missing-stats-only");

            db.execute("ANALYZE \"Sales Data\".\"Order \"\"Lines\"\" 2026\"; ANALYZE events");

            // lines_id_mcv has no MCV list to keep (id is unique): on 13 its data stays empty and must not count
            CheckResult after = Checks.run(db.dataSource(), new MissingStatisticsCheck(), "minSize", "1024");
            assertThat(after.status()).as(after.toString()).isEqualTo(CheckStatus.PASS);
        }
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void statisticsObjectWhoseDataTheRoleMayNotSeeIsNamedAsNotJudgedNeverAsMissing(String version) throws Exception {
        PostgresServer server = PostgresServers.get(ServerSpec.defaults().onVersion(version));
        try (TestDatabase db = TestDatabase.create(server, MissingStatisticsCheckTest.class)) {
            db.createRole("stats_ext_reader", "Stats-Pw-2", "");
            db.execute("""
                    CREATE TABLE orders (id bigint, customer int, region int, note text);
                    INSERT INTO orders SELECT g, g % 1000, g % 1000 / 10, repeat('o', 60) FROM generate_series(1, 40000) g;
                    CREATE STATISTICS orders_customer_region ON customer, region FROM orders;
                    ANALYZE orders;
                    GRANT SELECT ON orders TO stats_ext_reader;
                    """);
            assertThat(Checks.run(db.dataSource(), new MissingStatisticsCheck()).status()).as("as the owner")
                    .isEqualTo(CheckStatus.PASS);
            boolean ownerOnly = db.queryString("SELECT pg_get_viewdef('pg_stats_ext') LIKE '%pg_has_role%'").equals("t");

            CheckResult asReader = Checks.run(db.dataSource("stats_ext_reader", "Stats-Pw-2"), new MissingStatisticsCheck());

            if (ownerOnly) {
                // PostgreSQL 18 shows pg_stats_ext rows to the table's owner only: no row is no evidence. The tables
                // were judged, and no grant would show the object to this role: PASS, naming what was not judged
                assertThat(asReader.status()).as(asReader.toString()).isEqualTo(CheckStatus.PASS);
                assertThat(asReader.summary()).startsWith("Every table of at least 1MB has planner statistics"
                                + " (partitioned tables their own). 1 extended statistics object on a table of at least 1MB"
                                + " could not be judged")
                        .contains("public.orders_customer_region (on public.orders)", "Run the check as the tables' owner")
                        .doesNotContain("its extended statistics objects (CREATE STATISTICS) included");
            } else {
                // PostgreSQL 13 shows them to a role with SELECT on the columns: it sees the data
                assertThat(asReader.status()).as(asReader.toString()).isEqualTo(CheckStatus.PASS);
            }
            assertThat(asReader.findings()).isEmpty();
        }
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void statisticsObjectOnATableUnderAnAccessExclusiveLockIsNotWaitedFor(String version) throws Exception {
        PostgresServer server = PostgresServers.get(ServerSpec.defaults().onVersion(version));
        try (TestDatabase db = TestDatabase.create(server, MissingStatisticsCheckTest.class)) {
            db.execute("""
                    CREATE TABLE journal (id bigint, account int, note text);
                    INSERT INTO journal SELECT g, g % 100, repeat('j', 60) FROM generate_series(1, 40000) g;
                    ANALYZE journal;
                    """);
            // an expression (PostgreSQL 14+) is deparsed by opening the table: the check must not do it
            db.execute("13".equals(version) ? "CREATE STATISTICS journal_stats ON account, note FROM journal"
                    : "CREATE STATISTICS journal_stats ON account, lower(note) FROM journal");
            try (java.sql.Connection migration = db.openSession()) {
                migration.setAutoCommit(false);
                try (java.sql.Statement st = migration.createStatement()) {
                    st.execute("LOCK TABLE journal IN ACCESS EXCLUSIVE MODE");
                }

                CheckResult result = Checks.run(db.dataSource(), new MissingStatisticsCheck());

                assertThat(result.status()).as(result.toString()).isEqualTo(CheckStatus.PASS);
                assertThat(result.summary()).contains("1 table was not measured");
                migration.rollback();
            }
            assertThat(Checks.run(db.dataSource(), new MissingStatisticsCheck()).findings()).singleElement()
                    .satisfies(f -> assertThat(f.details()).containsEntry("statistics", "public.journal_stats")
                            .containsEntry("kinds", "13".equals(version) ? "ndistinct, dependencies, mcv"
                                    : "ndistinct, dependencies, mcv, expressions"));
        }
    }
}
