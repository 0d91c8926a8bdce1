package io.ampora.dbguard.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.bench.stub.StubDriver;
import io.ampora.dbguard.bench.stub.StubPools;
import io.ampora.dbguard.hikari.GuardedPool;
import io.ampora.dbguard.hikari.PoolGuardConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;
import javax.sql.DataSource;

/**
 * A measured run for a loaded machine: plain HikariCP and {@code GuardedPool} (default config) on the stub
 * driver, borrow + close, measured in alternating slices of {@code sliceMillis} (A B B A ...) so that both see
 * the same load, and the ratio guarded / plain taken per pair of adjacent slices; the median and the quartiles
 * of those ratios are printed for every variant of {@link PoolBorrowBenchmark} (pool 8 and 16, autoCommit true
 * and false, a void loop and one whose connection escapes to the heap). JMH's {@code PoolBorrowBenchmark}
 * measures one configuration after the other, minutes apart, which a loaded machine turns into noise.
 *
 * <pre>
 * java -cp ampora-dbguard-benchmarks/target/benchmarks.jar io.ampora.dbguard.bench.PoolBorrowAbTiming [threads] [rounds] [sliceMillis]
 * </pre>
 */
public final class PoolBorrowAbTiming {

    /** Where the returning loop's connections escape to, so that no allocation is scalar-replaced. */
    static final Object[] SINK = new Object[1];
    private static final int WARM_UP = 40;

    private PoolBorrowAbTiming() {
    }

    /**
     * @param args threads (1), rounds (40), slice in ms (50)
     * @throws Exception when a pool cannot start
     */
    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        int slice = args.length > 2 ? Integer.parseInt(args[2]) : 50;
        Class.forName(StubDriver.class.getName());
        boolean micrometer = present("io.micrometer.core.instrument.MeterRegistry");
        System.out.printf(Locale.ROOT, "threads %d, rounds %d, slice %d ms, Micrometer on the classpath: %s%n",
                threads, rounds, slice, micrometer);
        System.out.println("pool autoCommit loop       plain ops/us  guarded ops/us  guarded/plain median [p25, p75]");
        for (int size : new int[] {8, 16}) {
            for (boolean autoCommit : new boolean[] {true, false}) {
                for (boolean escape : new boolean[] {false, true}) {
                    run(size, autoCommit, escape, threads, rounds, slice);
                }
            }
        }
    }

    private static boolean present(String name) {
        try {
            Class.forName(name, false, PoolBorrowAbTiming.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    private static HikariDataSource hikari(int size, boolean autoCommit, String name) {
        return new HikariDataSource(StubPools.config(size, autoCommit, name));
    }

    private static void run(int size, boolean autoCommit, boolean escape, int threads, int rounds, int slice)
            throws Exception {
        try (HikariDataSource plain = hikari(size, autoCommit, "ab-plain");
             GuardedPool guarded = GuardedPool.wrap(hikari(size, autoCommit, "ab-guarded"), PoolGuardConfig.defaults())) {
            DataSource[] order = {plain, guarded};
            // warm-up: the first WARM_UP rounds are not counted (C2 compiles both pools' paths in them)
            long[][] ops = measure(order, escape, threads, rounds + WARM_UP, slice);
            double[] ratios = new double[rounds];
            long plainOps = 0;
            long guardedOps = 0;
            for (int r = 0; r < rounds; r++) {
                ratios[r] = (double) ops[1][r + WARM_UP] / ops[0][r + WARM_UP];
                plainOps += ops[0][r + WARM_UP];
                guardedOps += ops[1][r + WARM_UP];
            }
            Arrays.sort(ratios);
            double micros = rounds * slice * 1000.0;
            System.out.printf(Locale.ROOT, "%4d %-10s %-9s %12.2f %15.2f  %.3f [%.3f, %.3f]%n", size, autoCommit,
                    escape ? "returning" : "void", plainOps / micros, guardedOps / micros,
                    ratios[rounds / 2], ratios[rounds / 4], ratios[3 * rounds / 4]);
        }
    }

    /** @return ops[pool][round]: borrow+close count of all threads in that pool's slice of the round */
    private static long[][] measure(DataSource[] pools, boolean escape, int threads, int rounds, int slice)
            throws Exception {
        long[][] ops = new long[2][rounds];
        CyclicBarrier barrier = new CyclicBarrier(threads);
        Thread[] workers = new Thread[threads];
        Throwable[] failure = new Throwable[1];
        for (int t = 0; t < threads; t++) {
            workers[t] = new Thread(() -> {
                try {
                    for (int r = 0; r < rounds; r++) {
                        for (int k = 0; k < 2; k++) {
                            // A B, then B A: neither pool always runs right after the other
                            int p = (r % 2 == 0) ? k : 1 - k;
                            barrier.await();
                            long n = loop(pools[p], escape, slice * 1_000_000L);
                            synchronized (ops) {
                                ops[p][r] += n;
                            }
                        }
                    }
                } catch (Throwable e) {
                    failure[0] = e;
                }
            }, "ab-" + t);
            workers[t].start();
        }
        for (Thread w : workers) {
            w.join();
        }
        if (failure[0] != null) {
            throw new IllegalStateException(failure[0]);
        }
        return ops;
    }

    private static long loop(DataSource pool, boolean escape, long nanos) throws SQLException {
        long end = System.nanoTime() + nanos;
        long n = 0;
        do {
            for (int i = 0; i < 256; i++) {
                Connection c = pool.getConnection();
                if (escape) {
                    SINK[0] = c;
                }
                c.close();
            }
            n += 256;
        } while (System.nanoTime() < end);
        return n;
    }
}
