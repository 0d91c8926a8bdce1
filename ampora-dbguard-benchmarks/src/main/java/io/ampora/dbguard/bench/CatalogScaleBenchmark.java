package io.ampora.dbguard.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A measured run, not a unit test: how long every registered check takes on a big schema, 10,000
 * tables with 20,000 indexes and 10,000 foreign keys (half of them without a covering index), on the
 * embedded PostgreSQL. Catalog queries that join by name instead of oid/attnum grow with the square of
 * the schema and show here. Goal: all catalog checks together under 2 seconds.
 *
 * <p>The checks run one at a time ({@code maxConcurrency(1)}), on connections from one of three sources:
 * {@code simple} (a non-pooled DataSource: a new backend for each check, whose catalog caches start empty, the
 * harness of the first measurement), {@code url} (the guard connects itself and keeps its session across the
 * checks of a report, what the doctor does) or {@code pool} (a HikariCP pool of 4, what a service has).
 *
 * <p>Run: {@code mvn -B -pl ampora-dbguard-benchmarks -am package -DskipTests} then
 * {@code java -cp ampora-dbguard-benchmarks/target/benchmarks.jar io.ampora.dbguard.bench.CatalogScaleBenchmark [tables] [runs] [major] [simple|url|pool]}.
 */
public final class CatalogScaleBenchmark {

    private static final PrintStream OUT = System.out;
    private static final int CHUNK = 500;

    private CatalogScaleBenchmark() {
    }

    /**
     * Builds the schema, runs the report a few times and prints per-check and total durations.
     *
     * @param args optional: number of tables (10000), runs (5), PostgreSQL major version (17), connection source
     *             (simple)
     * @throws Exception when the server or the schema cannot be set up
     */
    public static void main(String[] args) throws Exception {
        int tables = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        String major = args.length > 2 ? args[2] : "17";
        GuardConnections source = GuardConnections.parse(args.length > 3 ? args[3] : "simple");
        PostgresServer server = PostgresServers.get(new ServerSpec(major, Map.of(
                "shared_preload_libraries", "pg_stat_statements", "max_locks_per_transaction", "1024"), false));
        try (TestDatabase db = TestDatabase.create(server, CatalogScaleBenchmark.class)) {
            long start = System.nanoTime();
            build(db, tables);
            OUT.printf(Locale.ROOT, "PostgreSQL %s: built %s in %.1f s%n", major, census(db), seconds(System.nanoTime() - start));

            List<DatabaseCheck> checks = DbGuard.discoverChecks();
            DbGuard.Builder builder = DbGuard.builder().checks(checks)
                    .checkTimeout(Duration.ofSeconds(60)).deadline(Duration.ofSeconds(300)).maxConcurrency(1);
            HikariDataSource pool = source.apply(builder, db, server, "catalog-scale");
            DbGuard guard = builder.build();
            OUT.printf(Locale.ROOT, "connections: %s%n", source);
            guard.report(); // warm-up: first catalog access of a fresh backend, JIT
            Map<String, List<Long>> perCheck = new LinkedHashMap<>();
            List<Long> totals = new ArrayList<>();
            Report last = null;
            for (int i = 0; i < runs; i++) {
                long t = System.nanoTime();
                last = guard.report();
                totals.add((System.nanoTime() - t) / 1_000_000);
                for (CheckResult r : last.checks()) {
                    perCheck.computeIfAbsent(r.checkId(), k -> new ArrayList<>()).add(r.duration().toMillis());
                }
            }
            OUT.printf(Locale.ROOT, "%-26s %8s %8s %8s  %s%n", "check (ms, sequential)", "min", "median", "max", "status: summary");
            long sumOfMedians = 0;
            for (CheckResult r : last.checks()) {
                List<Long> d = perCheck.get(r.checkId());
                d.sort(Long::compare);
                sumOfMedians += d.get(d.size() / 2);
                String summary = r.summary().length() > 90 ? r.summary().substring(0, 90) + "..." : r.summary();
                OUT.printf(Locale.ROOT, "%-26s %8d %8d %8d  %s: %s%n", r.checkId(), d.get(0), d.get(d.size() / 2),
                        d.get(d.size() - 1), r.status(), summary);
            }
            totals.sort(Long::compare);
            OUT.printf(Locale.ROOT, "sum of per-check medians: %d ms; whole report (one session at a time, %d runs):"
                    + " min %d, median %d, max %d ms%n", sumOfMedians, runs, totals.get(0), totals.get(runs / 2),
                    totals.get(runs - 1));
            long unknown = last.checks().stream().filter(r -> r.status() == CheckStatus.UNKNOWN).count();
            OUT.printf(Locale.ROOT, "UNKNOWN checks in the last run: %d%n", unknown);
            if (pool != null) {
                pool.close();
            }
        }
        System.exit(0);
    }

    /** Tables t_1..t_n: a primary key, a secondary index, a foreign key to the previous table. */
    static void build(TestDatabase db, int tables) throws Exception {
        db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        for (int from = 1; from <= tables; from += CHUNK) {
            int to = Math.min(tables, from + CHUNK - 1);
            // even tables index their foreign key column, odd ones another column: half the FKs lack an index
            db.execute(String.format(Locale.ROOT, """
                    DO $$
                    BEGIN
                      FOR i IN %d..%d LOOP
                        EXECUTE format('CREATE TABLE %%I (id bigint PRIMARY KEY, parent_id bigint, created timestamptz,'
                                       ' attributes jsonb)', 't_' || i);
                        IF i %% 2 = 0 THEN
                          EXECUTE format('CREATE INDEX ON %%I (parent_id)', 't_' || i);
                        ELSE
                          EXECUTE format('CREATE INDEX ON %%I (created)', 't_' || i);
                        END IF;
                      END LOOP;
                    END $$""", from, to));
        }
        for (int from = 1; from <= tables; from += CHUNK) {
            int to = Math.min(tables, from + CHUNK - 1);
            db.execute(String.format(Locale.ROOT, """
                    DO $$
                    BEGIN
                      FOR i IN %d..%d LOOP
                        EXECUTE format('ALTER TABLE %%I ADD FOREIGN KEY (parent_id) REFERENCES %%I (id)',
                                       't_' || i, 't_' || CASE WHEN i = 1 THEN %d ELSE i - 1 END);
                      END LOOP;
                    END $$""", from, to, tables));
        }
        db.execute("ANALYZE");
    }

    static String census(TestDatabase db) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("""
                     SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                              WHERE n.nspname = 'public' AND c.relkind = 'r'),
                            (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                              WHERE n.nspname = 'public' AND c.relkind = 'i'),
                            (SELECT count(*) FROM pg_constraint WHERE contype = 'f')""")) {
            rs.next();
            return rs.getLong(1) + " tables, " + rs.getLong(2) + " indexes, " + rs.getLong(3) + " foreign keys";
        }
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }
}
