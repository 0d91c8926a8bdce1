package io.ampora.dbguard.bench;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.mfvanek.pg.connection.PgConnection;
import io.github.mfvanek.pg.connection.factory.PgConnectionFactoryImpl;
import io.github.mfvanek.pg.core.checks.common.DatabaseCheckOnHost;
import io.github.mfvanek.pg.core.checks.host.DuplicatedIndexesCheckOnHost;
import io.github.mfvanek.pg.core.checks.host.ForeignKeysNotCoveredWithIndexCheckOnHost;
import io.github.mfvanek.pg.core.checks.host.IndexesWithBloatCheckOnHost;
import io.github.mfvanek.pg.core.checks.host.IntersectedIndexesCheckOnHost;
import io.github.mfvanek.pg.core.checks.host.InvalidIndexesCheckOnHost;
import io.github.mfvanek.pg.core.checks.host.SequenceOverflowCheckOnHost;
import io.github.mfvanek.pg.core.checks.host.TablesWithBloatCheckOnHost;
import io.github.mfvanek.pg.core.checks.host.TablesWithoutPrimaryKeyCheckOnHost;
import io.github.mfvanek.pg.core.checks.host.UnusedIndexesCheckOnHost;
import io.github.mfvanek.pg.model.context.PgContext;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A measured run, not a test: on {@link CatalogScaleBenchmark}'s schema (10,000 tables, 20,000 indexes,
 * 10,000 foreign keys), in the same database and the same run, the doctor's whole report (a guard built
 * from the URL, every discovered check, default concurrency) and each of our checks against its
 * pg-index-health 0.20.3 counterpart (one-connection pool from {@code PgConnectionFactoryImpl.forUrl}).
 * Each check alone: ours in reports of that one check on a one-connection HikariCP pool (so they include
 * opening the check's read-only transaction: a borrowed connection's set-up round trip), then ours on a
 * connection the report owns (a URL guard like the doctor's: one report running {@code runs + 1} copies of the
 * check on one kept connection, the first left out), the peer's by calling its check on its one-connection
 * pool. Figures in ms with 2 decimals (min/median/max).
 * Every table gets 3 rows and the database is analyzed, so pg_stats has 40,000 rows to join.
 * A peer check slower than {@code peerLimit} seconds is cancelled and reported as "&gt; limit".
 *
 * <p>Run: {@code mvn -B -pl ampora-dbguard-benchmarks -am package -DskipTests} then
 * {@code java -cp ampora-dbguard-benchmarks/target/benchmarks.jar io.ampora.dbguard.bench.CatalogScaleVsPeerBenchmark [tables] [runs] [peerLimitSeconds] [major]}.
 */
public final class CatalogScaleVsPeerBenchmark {

    private static final PrintStream OUT = System.out;

    private CatalogScaleVsPeerBenchmark() {
    }

    /**
     * @param args optional: tables (10000), runs (7), peer time limit in seconds (30), PostgreSQL major (17)
     * @throws Exception when the server or the schema cannot be set up
     */
    public static void main(String[] args) throws Exception {
        int tables = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        int peerLimit = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        String major = args.length > 3 ? args[3] : "17";
        PostgresServer server = PostgresServers.get(new ServerSpec(major, Map.of(
                "shared_preload_libraries", "pg_stat_statements", "max_locks_per_transaction", "1024"), false));
        try (TestDatabase db = TestDatabase.create(server, CatalogScaleVsPeerBenchmark.class)) {
            long start = System.nanoTime();
            CatalogScaleBenchmark.build(db, tables);
            // a few rows per table, analyzed, so that pg_stats has rows (40,000) and the bloat queries work on
            // real statistics: on empty tables both sides' bloat queries have nothing to join
            db.execute(String.format(Locale.ROOT, """
                    DO $$
                    BEGIN
                      FOR i IN 1..%d LOOP
                        EXECUTE format('INSERT INTO %%I (id, parent_id, created, attributes)'
                                       ' SELECT g, NULL, now(), jsonb_build_object(''k'', g) FROM generate_series(1, 3) g',
                                       't_' || i);
                      END LOOP;
                    END $$""", tables));
            db.execute("ANALYZE");
            OUT.printf(Locale.ROOT, "PostgreSQL %s: built %s in %.1f s%n", major, CatalogScaleBenchmark.census(db),
                    (System.nanoTime() - start) / 1e9);
            String url = db.jdbcUrl();
            String user = server.adminUser();
            // the peer refuses a blank password; the embedded server trusts local connections and ignores it
            String password = server.adminPassword() == null || server.adminPassword().isBlank() ? "trusted"
                    : server.adminPassword();

            // the doctor's whole report: URL guard, every discovered check, default maxConcurrency
            DbGuard doctor = urlGuard(url, user, password, DbGuard.discoverChecks()).build();
            doctor.report();
            List<Long> whole = new ArrayList<>();
            Map<String, List<Long>> perCheck = new java.util.TreeMap<>();
            Report last = null;
            for (int i = 0; i < runs; i++) {
                long t = System.nanoTime();
                last = doctor.report();
                whole.add((System.nanoTime() - t) / 1_000_000);
                for (CheckResult r : last.checks()) {
                    perCheck.computeIfAbsent(r.checkId(), k -> new ArrayList<>()).add(r.duration().toMillis());
                }
            }
            perCheck.forEach((id, d) -> OUT.printf(Locale.ROOT, "  in the doctor's report: %-28s %s ms%n", id, spread(d)));
            OUT.printf(Locale.ROOT, "doctor whole report (%d checks, URL guard, maxConcurrency 2, %d runs): %s ms%n",
                    last.checks().size(), runs, spread(whole));
            for (CheckResult r : last.checks()) {
                if (r.status() == CheckStatus.UNKNOWN) {
                    OUT.println("  UNKNOWN " + r.checkId() + ": " + r.summary());
                }
            }

            PgConnection peer = new PgConnectionFactoryImpl().forUrl(url, user, password);
            HikariConfig hc = new HikariConfig();
            hc.setJdbcUrl(url);
            hc.setUsername(user);
            hc.setPassword(password);
            hc.setMaximumPoolSize(1);
            HikariDataSource pool = new HikariDataSource(hc);
            PgContext ctx = PgContext.of("public");
            OUT.printf(Locale.ROOT, "each check alone, both sides on a one-connection pool, %d runs after %d warm-up runs%n",
                    runs, WARMUP);
            OUT.printf(Locale.ROOT, "%-28s %-24s %-24s %-40s %s%n", "our check", "ours, pool ms", "ours, owned conn. ms",
                    "pg-index-health 0.20.3", "peer ms (min/med/max)");
            row(pool, "fk-index", Map.of(), runs, peerLimit, db,
                    List.of(new ForeignKeysNotCoveredWithIndexCheckOnHost(peer)), ctx);
            row(pool, "invalid-indexes", Map.of(), runs, peerLimit, db,
                    List.of(new InvalidIndexesCheckOnHost(peer)), ctx);
            row(pool, "sequence-exhaustion", Map.of(), runs, peerLimit, db,
                    List.of(new SequenceOverflowCheckOnHost(peer)), ctx);
            row(pool, "duplicate-indexes", Map.of(), runs, peerLimit, db,
                    List.of(new DuplicatedIndexesCheckOnHost(peer), new IntersectedIndexesCheckOnHost(peer)), ctx);
            row(pool, "unused-indexes", Map.of("unused-indexes.minStatisticsAge", "1ms"), runs, peerLimit, db,
                    List.of(new UnusedIndexesCheckOnHost(peer)), ctx);
            row(pool, "tables-without-primary-key", Map.of(), runs, peerLimit, db,
                    List.of(new TablesWithoutPrimaryKeyCheckOnHost(peer)), ctx);
            row(pool, "table-bloat", Map.of(), runs, peerLimit, db,
                    List.of(new TablesWithBloatCheckOnHost(peer)), ctx);
            row(pool, "table-bloat", Map.of("table-bloat.minReclaimableBytes", "0"), runs, peerLimit, db,
                    List.of(), ctx);
            row(pool, "index-bloat", Map.of(), runs, peerLimit, db,
                    List.of(new IndexesWithBloatCheckOnHost(peer)), ctx);
            row(pool, "index-bloat", Map.of("index-bloat.minReclaimableBytes", "0"), runs, peerLimit, db,
                    List.of(), ctx);
        }
        System.exit(0);
    }

    private static DbGuard.Builder urlGuard(String url, String user, String password, List<DatabaseCheck> checks) {
        return DbGuard.builder().jdbcUrl(url).user(user).password(password).checks(checks)
                .checkTimeout(Duration.ofSeconds(60)).deadline(Duration.ofSeconds(300));
    }

    /**
     * Runs before the timed ones, for both sides: pgjdbc prepares a statement on the server at its 5th execution
     * on a connection ({@code prepareThreshold}), after which PostgreSQL no longer plans it; a monitor (or the
     * peer's repeated runs) lives in that steady state, so the timed runs measure it on both sides.
     */
    private static final int WARMUP = 5;

    private static void row(HikariDataSource pool, String id, Map<String, String> settings, int runs,
                            int peerLimit, TestDatabase db, List<DatabaseCheckOnHost<?>> peerChecks, PgContext ctx)
            throws Exception {
        DatabaseCheck check = DbGuard.discoverChecks().stream().filter(c -> c.id().equals(id)).findFirst().orElseThrow();
        DbGuard.Builder builder = DbGuard.builder().dataSource(pool).checks(List.of(check))
                .checkTimeout(Duration.ofSeconds(60)).deadline(Duration.ofSeconds(300));
        settings.forEach(builder::set);
        DbGuard guard = builder.build();
        for (int i = 0; i < WARMUP; i++) {
            guard.report();
        }
        List<Long> ours = new ArrayList<>();
        CheckResult result = null;
        for (int i = 0; i < runs; i++) {
            result = guard.report().result(id).orElseThrow();
            ours.add(result.duration().toNanos());
        }
        // the same check on a connection the report owns (a URL guard, like the doctor): one report of the
        // check and runs copies of it on one kept connection; the warm-up copies (a cold backend first) are left out
        List<DatabaseCheck> copies = new ArrayList<>();
        for (int i = 0; i < WARMUP + runs; i++) {
            copies.add(new Copy(check, i));
        }
        DbGuard.Builder owned = urlGuard(db.jdbcUrl(), db.server().adminUser(), password(db), copies).maxConcurrency(1);
        settings.forEach((k, v) -> copies.forEach(c -> owned.set(c.id() + k.substring(id.length()), v)));
        List<Long> ownedTimes = new ArrayList<>();
        List<CheckResult> ownedResults = owned.build().report().checks();
        for (int i = WARMUP; i < ownedResults.size(); i++) {
            ownedTimes.add(ownedResults.get(i).duration().toNanos());
        }
        String label = id + (settings.isEmpty() ? "" : " (" + String.join(",", settings.values()) + ")");
        String peerNames = String.join(" + ", peerChecks.stream().map(p -> p.getDiagnostic().name().toLowerCase(Locale.ROOT)).toList());
        String peerTime = peerChecks.isEmpty() ? "" : peer(peerChecks, ctx, runs, peerLimit, db);
        OUT.printf(Locale.ROOT, "%-28s %-24s %-24s %-40s %s   [ours: %s, %d findings]%n", label, spreadMs(ours),
                spreadMs(ownedTimes), peerNames, peerTime, result.status(), result.findings().size());
    }

    private static String password(TestDatabase db) {
        String p = db.server().adminPassword();
        return p == null || p.isBlank() ? "trusted" : p;
    }

    /** One more instance of a check under its own id, so that one report can run it several times. */
    private record Copy(DatabaseCheck check, int n) implements DatabaseCheck {
        @Override
        public String id() {
            return check.id() + "-" + n;
        }

        @Override
        public io.ampora.dbguard.check.RunbookSection runbook() {
            return check.runbook();
        }

        @Override
        public String description() {
            return check.description();
        }

        @Override
        public List<io.ampora.dbguard.check.CheckSetting<?>> settings() {
            return check.settings();
        }

        @Override
        public List<io.ampora.dbguard.check.SettingOrder<?>> settingOrders() {
            return check.settingOrders();
        }

        @Override
        public CheckResult run(io.ampora.dbguard.check.CheckContext context) throws Exception {
            return check.run(context);
        }
    }

    /** Runs the peer checks (summed per run); a first run over the limit is cancelled and reported as such. */
    private static String peer(List<DatabaseCheckOnHost<?>> checks, PgContext ctx, int runs, int limit, TestDatabase db)
            throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            List<Long> times = new ArrayList<>();
            for (int i = 0; i < WARMUP + runs; i++) { // the first WARMUP are a warm-up, like ours
                long t = System.nanoTime();
                int found = 0;
                for (DatabaseCheckOnHost<?> check : checks) {
                    Future<Integer> f = executor.submit(() -> check.check(ctx).size());
                    try {
                        found += f.get(limit, TimeUnit.SECONDS);
                    } catch (TimeoutException e) {
                        cancelOthers(db);
                        f.cancel(true);
                        return "> " + limit + " s (cancelled)";
                    }
                }
                if (i >= WARMUP) {
                    times.add(System.nanoTime() - t);
                }
                if (i == 0 && (System.nanoTime() - t) > 5_000_000_000L) {
                    times.add(System.nanoTime() - t);
                    return spreadMs(times) + " (one run: slow) [" + found + " found]";
                }
            }
            return spreadMs(times);
        } finally {
            executor.shutdownNow();
        }
    }

    private static void cancelOthers(TestDatabase db) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND pid <> pg_backend_pid() AND state = 'active'");
        }
    }

    /** min/median/max of nanosecond values, in ms with 2 decimals. */
    private static String spreadMs(List<Long> nanos) {
        List<Long> sorted = new ArrayList<>(nanos);
        sorted.sort(Long::compare);
        return String.format(Locale.ROOT, "%.2f/%.2f/%.2f", sorted.get(0) / 1e6, sorted.get(sorted.size() / 2) / 1e6,
                sorted.get(sorted.size() - 1) / 1e6);
    }

    private static String spread(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(Long::compare);
        return sorted.get(0) + "/" + sorted.get(sorted.size() / 2) + "/" + sorted.get(sorted.size() - 1);
    }
}
