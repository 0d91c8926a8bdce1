package io.ampora.dbguard.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A measured run: how long {@code DbGuard.report()} takes on the embedded PostgreSQL, cold and warm, with each
 * check's median time (the slowest first), for one of the ways a guard gets its connections:
 * {@code pool} (a HikariCP pool of 4, what a service has), {@code url} (the guard connects itself and keeps its
 * connections across the checks of a report, what the doctor does) or {@code simple} (a non-pooled DataSource:
 * a new physical connection for every check).
 * Run: {@code java -cp ampora-dbguard-benchmarks/target/benchmarks.jar io.ampora.dbguard.bench.ReportTiming [runs] [pool|url|simple]}.
 */
public final class ReportTiming {

    private ReportTiming() {
    }

    /**
     * @param args optional number of warm runs (default 50) and the connection source (default pool)
     * @throws Exception when the database cannot be prepared
     */
    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        GuardConnections source = GuardConnections.parse(args.length > 1 ? args[1] : "pool");
        PostgresServer server = PostgresServers.get(ServerSpec.defaults());
        try (TestDatabase db = TestDatabase.create(server, ReportTiming.class)) {
            DbGuard.Builder builder = DbGuard.builder();
            HikariDataSource pool = source.apply(builder, db, server, "report-timing");
            DbGuard guard = builder.build();
            long t0 = System.nanoTime();
            Report first = guard.report();
            double cold = (System.nanoTime() - t0) / 1e6;
            double[] ms = new double[runs];
            Map<String, List<Double>> perCheck = new TreeMap<>();
            for (int i = 0; i < runs; i++) {
                long s = System.nanoTime();
                Report report = guard.report();
                ms[i] = (System.nanoTime() - s) / 1e6;
                for (CheckResult r : report.checks()) {
                    perCheck.computeIfAbsent(r.checkId(), k -> new ArrayList<>()).add(r.duration().toNanos() / 1e6);
                }
            }
            Arrays.sort(ms);
            System.out.printf(Locale.ROOT, "source=%s checks=%d status=%s cold=%.1f ms warm: min=%.1f median=%.1f p95=%.1f"
                            + " max=%.1f ms (%d runs)%n", source, first.checks().size(), first.status(), cold, ms[0],
                    ms[runs / 2], ms[(int) (runs * 0.95)], ms[runs - 1], runs);
            double sum = 0;
            List<Map.Entry<String, Double>> medians = new ArrayList<>();
            for (Map.Entry<String, List<Double>> e : perCheck.entrySet()) {
                List<Double> d = e.getValue();
                d.sort(null);
                medians.add(Map.entry(e.getKey(), d.get(d.size() / 2)));
                sum += d.get(d.size() / 2);
            }
            medians.sort(Map.Entry.<String, Double>comparingByValue().reversed());
            System.out.printf(Locale.ROOT, "per-check medians (sum %.1f ms):%n", sum);
            medians.forEach(e -> System.out.printf(Locale.ROOT, "  %-28s %8.2f ms%n", e.getKey(), e.getValue()));
            if (pool != null) {
                pool.close();
            }
        }
        System.exit(0);
    }
}
