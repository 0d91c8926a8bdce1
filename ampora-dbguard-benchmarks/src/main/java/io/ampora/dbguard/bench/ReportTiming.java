package io.ampora.dbguard.bench;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.util.Arrays;
import java.util.Locale;

/**
 * A measured run: how long {@code DbGuard.report()} takes on the embedded PostgreSQL, cold and warm.
 * Run: {@code java -cp ampora-dbguard-benchmarks/target/benchmarks.jar io.ampora.dbguard.bench.ReportTiming [runs]}.
 */
public final class ReportTiming {

    private ReportTiming() {
    }

    /**
     * @param args optional number of warm runs (default 50)
     * @throws Exception when the database cannot be prepared
     */
    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        try (TestDatabase db = TestDatabase.create(PostgresServers.get(ServerSpec.defaults()), ReportTiming.class)) {
            DbGuard guard = DbGuard.builder().dataSource(db.dataSource()).build();
            long t0 = System.nanoTime();
            Report first = guard.report();
            double cold = (System.nanoTime() - t0) / 1e6;
            double[] ms = new double[runs];
            for (int i = 0; i < runs; i++) {
                long s = System.nanoTime();
                guard.report();
                ms[i] = (System.nanoTime() - s) / 1e6;
            }
            Arrays.sort(ms);
            System.out.printf(Locale.ROOT, "checks=%d status=%s cold=%.1f ms warm: min=%.1f median=%.1f p95=%.1f max=%.1f ms (%d runs)%n",
                    first.checks().size(), first.status(), cold, ms[0], ms[runs / 2], ms[(int) (runs * 0.95)], ms[runs - 1], runs);
        }
        System.exit(0);
    }
}
