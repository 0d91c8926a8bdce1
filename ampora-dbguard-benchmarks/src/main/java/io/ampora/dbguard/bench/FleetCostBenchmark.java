package io.ampora.dbguard.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.monitor.DbGuardMonitor;
import io.ampora.dbguard.monitor.MonitorConfig;
import io.ampora.dbguard.monitor.ResultOrigin;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.sql.DataSource;

/**
 * A measured run, not a unit test: the database time a fleet of monitors spends per minute on the
 * 10,000-table schema of {@link CatalogScaleBenchmark}, for fleets of several sizes. Database time is the
 * sum of pg_stat_statements' {@code total_exec_time} of every statement run in the benchmark's database
 * during a window (the guard's checks, its server-facts reads, the fleet's lock, heartbeat and NOTIFY
 * statements; the measuring statements are left out), after every monitor's first run. The total is split into the guard's machinery (server
 * facts, session setup, the fleet channel: it grows with the fleet) and the checks' own statements (with
 * coordination, the same for any fleet size); since the checks' part varies +-50 % between windows on a loaded
 * machine, "vs 1 (same W)" also shows the ratio with the checks' part held at the 1-monitor window's figure,
 * and "blocks/min" the shared buffers the statements touched (hit + read), a measure of work that CPU
 * contention does not inflate.
 *
 * <p>Intervals: the defaults (10 s per-instance and cheap checks, 30 s normal ones) except the expensive
 * catalog checks, every 60 s instead of 15 min so that each window holds their runs. A size suffixed
 * with {@code x} runs without fleet coordination (every instance runs every check: today's behaviour).
 *
 * <p>Run: {@code mvn -B -pl ampora-dbguard-benchmarks -am package -DskipTests} then
 * {@code java -cp ampora-dbguard-benchmarks/target/benchmarks.jar io.ampora.dbguard.bench.FleetCostBenchmark
 * [tables] [window seconds] [sizes, e.g. 1,10,50,10x] [major] [pool]}; {@code pool} gives each monitor a warm
 * HikariCP pool of 4 (as an application's pool would), otherwise each report opens new sessions.
 */
public final class FleetCostBenchmark {

    private static final PrintStream OUT = System.out;

    private FleetCostBenchmark() {
    }

    /**
     * Builds the schema, then runs each fleet size for one window and prints its database time per minute.
     *
     * @param args optional: tables (10000), window seconds (120), sizes (1,10,50), PostgreSQL major (17)
     * @throws Exception when the server or the schema cannot be set up
     */
    public static void main(String[] args) throws Exception {
        int tables = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        Duration window = Duration.ofSeconds(args.length > 1 ? Long.parseLong(args[1]) : 120);
        String[] sizes = (args.length > 2 ? args[2] : "1,10,50").split(",");
        String major = args.length > 3 ? args[3] : "17";
        pooled = args.length > 4 && args[4].equals("pool");
        PostgresServer server = PostgresServers.get(new ServerSpec(major, Map.of(
                "shared_preload_libraries", "pg_stat_statements", "max_locks_per_transaction", "1024",
                "max_connections", "400"), false));
        try (TestDatabase db = TestDatabase.create(server, FleetCostBenchmark.class)) {
            long start = System.nanoTime();
            CatalogScaleBenchmark.build(db, tables);
            db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            OUT.printf(Locale.ROOT, "PostgreSQL %s: built %s in %.0f s; load average %s%n", major,
                    CatalogScaleBenchmark.census(db), (System.nanoTime() - start) / 1e9, loadAverage());
            Double baseline = null;
            double[] base = null;
            Double baseBlocks = null;
            OUT.printf(Locale.ROOT, "%-10s %12s %14s %10s %14s %12s %14s %12s %10s %8s  %s%n", "monitors", "db ms/min",
                    "statements/min", "vs 1", "machinery/min", "checks/min", "vs 1 (same W)", "blocks/min", "vs 1",
                    "window", "load average after");
            for (String size : sizes) {
                boolean coordinated = !size.endsWith("x");
                int n = Integer.parseInt(coordinated ? size : size.substring(0, size.length() - 1));
                double perMinute = measure(db, n, coordinated, window);
                if (baseline == null && n == 1) {
                    baseline = perMinute;
                    base = new double[] {lastMachineryPerMinute, lastChecksPerMinute};
                    baseBlocks = lastBlocksPerMinute;
                }
                // the database-wide checks' work W varies +-50 % between windows on a loaded machine; holding it
                // at the 1-monitor window's figure shows what the fleet size itself adds
                String sameW = base == null ? "-" : String.format(Locale.ROOT, "%.2fx",
                        (base[1] + lastMachineryPerMinute) / (base[1] + base[0]));
                OUT.printf(Locale.ROOT, "%-10s %12.0f %14.0f %10s %14.0f %12.0f %14s %12.0f %10s %7ds  %s%n",
                        n + (coordinated ? " fleet" : " alone"), perMinute, lastStatementsPerMinute,
                        baseline == null ? "-" : String.format(Locale.ROOT, "%.2fx", perMinute / baseline),
                        lastMachineryPerMinute, lastChecksPerMinute, sameW, lastBlocksPerMinute,
                        baseBlocks == null ? "-" : String.format(Locale.ROOT, "%.2fx", lastBlocksPerMinute / baseBlocks),
                        window.toSeconds(), loadAverage());
            }
        }
        System.exit(0);
    }

    private static double lastStatementsPerMinute;
    private static double lastMachineryPerMinute;
    private static double lastChecksPerMinute;
    /** Shared buffers touched (hit + read) per minute: the work done, insensitive to CPU contention. */
    private static double lastBlocksPerMinute;
    /**
     * The guard's machinery, as opposed to the checks' own statements: server facts (and settings / TLS
     * state when re-read), session setup (BEGIN, SET TRANSACTION READ ONLY, set_config, ROLLBACK), the fleet
     * channel (advisory lock tries, heartbeats, NOTIFY, LISTEN, session settings). This part grows with the
     * number of instances; the checks' part should not, with coordination.
     */
    private static final String MACHINERY = "(s.query ~* '^\\s*(BEGIN|ROLLBACK|COMMIT|SET |RESET|LISTEN|UNLISTEN|SELECT \\$1\\s*$)'"
            + " OR strpos(s.query, 'pg_postmaster_start_time') > 0 OR strpos(s.query, 'reset_val') > 0"
            + " OR strpos(s.query, 'pg_stat_ssl') > 0 OR strpos(s.query, 'set_config') > 0"
            + " OR strpos(s.query, 'pg_try_advisory_lock') > 0 OR strpos(s.query, 'pg_notify') > 0"
            + " OR strpos(s.query, 'pg_advisory_unlock_all') > 0 OR strpos(s.query, 'pg_backend_pid') > 0)";
    /** Give each monitor a warm HikariCP pool of 4 (an application's pool) instead of new sessions per report. */
    private static boolean pooled;

    private static double measure(TestDatabase db, int n, boolean coordinated, Duration window) throws Exception {
        List<DbGuardMonitor> monitors = new ArrayList<>();
        List<HikariDataSource> pools = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                DataSource dataSource = db.dataSource();
                if (pooled) {
                    HikariConfig hikari = new HikariConfig();
                    hikari.setDataSource(db.dataSource());
                    hikari.setMaximumPoolSize(4);
                    hikari.setMinimumIdle(4);
                    hikari.setPoolName("bench-" + i);
                    HikariDataSource pool = new HikariDataSource(hikari);
                    pools.add(pool);
                    dataSource = pool;
                }
                DbGuard guard = DbGuard.builder().dataSource(dataSource).applicationName("fleet-bench")
                        .checkTimeout(Duration.ofSeconds(60)).deadline(Duration.ofSeconds(120)).build();
                MonitorConfig.Builder config = MonitorConfig.builder();
                for (DatabaseCheck check : guard.checks()) {
                    if (check.scope() == CheckScope.DATABASE && check.cost() == CheckCost.EXPENSIVE) {
                        config.interval(check.id(), Duration.ofSeconds(60));
                    }
                }
                if (coordinated) {
                    config.fleet("bench-" + n).instance("m" + i);
                }
                monitors.add(guard.monitor(config.build()));
            }
            // every monitor's first run (all checks at once, slow on a loaded machine: it must not spill into
            // the window), the fleet's first election
            long warmUntil = System.nanoTime() + Duration.ofSeconds(180).toNanos();
            Thread.sleep(20_000);
            while (monitors.stream().anyMatch(m -> m.runs() < 1) && System.nanoTime() < warmUntil) {
                Thread.sleep(500);
            }
            Thread.sleep(2_000);
            db.execute("SELECT pg_stat_statements_reset()");
            long t0 = System.nanoTime();
            Thread.sleep(window.toMillis());
            double minutes = (System.nanoTime() - t0) / 60e9;
            long fallbacks = monitors.stream().flatMap(m -> m.origins().values().stream())
                    .filter(o -> o.source() == ResultOrigin.Source.FALLBACK).count();
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
                 ResultSet top = st.executeQuery("SELECT s.calls, s.total_exec_time,"
                         + " regexp_replace(left(regexp_replace(s.query, '--[^\\n]*', '', 'g'), 400), '\\s+', ' ', 'g')"
                         + " FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
                         + " WHERE d.datname = current_database() AND strpos(s.query, 'pg_stat_statements') = 0"
                         + " ORDER BY s.total_exec_time DESC LIMIT 10")) {
                OUT.printf(Locale.ROOT, "  %d monitors: results from a fallback at the end: %d; top statements:%n", n, fallbacks);
                while (top.next()) {
                    String q = top.getString(3).trim();
                    OUT.printf(Locale.ROOT, "    %7d calls %9.0f ms  %s%n", top.getLong(1), top.getDouble(2),
                            q.length() > 90 ? q.substring(0, 90) : q);
                }
            }
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT coalesce(sum(s.total_exec_time), 0), coalesce(sum(s.calls), 0),"
                         + " coalesce(sum(s.total_exec_time) FILTER (WHERE " + MACHINERY + "), 0),"
                         + " coalesce(sum(s.calls) FILTER (WHERE " + MACHINERY + "), 0),"
                         + " coalesce(sum(s.shared_blks_hit + s.shared_blks_read), 0)"
                         + " FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
                         + " WHERE d.datname = current_database() AND strpos(s.query, 'pg_stat_statements') = 0")) {
                rs.next();
                lastStatementsPerMinute = rs.getLong(2) / minutes;
                lastMachineryPerMinute = rs.getDouble(3) / minutes;
                lastChecksPerMinute = (rs.getDouble(1) - rs.getDouble(3)) / minutes;
                lastBlocksPerMinute = rs.getDouble(5) / minutes;
                OUT.printf(Locale.ROOT, "  %d monitors: machinery %.0f statements/min, %.0f ms/min%n", n,
                        rs.getLong(4) / minutes, lastMachineryPerMinute);
                return rs.getDouble(1) / minutes;
            }
        } finally {
            monitors.forEach(DbGuardMonitor::close);
            pools.forEach(HikariDataSource::close);
            Thread.sleep(2_000);
        }
    }

    private static String loadAverage() {
        try {
            return String.join(" ", List.of(Files.readString(Path.of("/proc/loadavg")).trim().split(" ")).subList(0, 3));
        } catch (Exception e) {
            return "?";
        }
    }
}
