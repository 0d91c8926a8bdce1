package io.ampora.dbguard.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.bench.stub.StubDriver;
import io.ampora.dbguard.bench.stub.StubPools;
import io.ampora.dbguard.hikari.GuardedPool;
import io.ampora.dbguard.hikari.PoolGuardConfig;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import javax.sql.DataSource;

/**
 * Borrow + close cost in the measuring thread's own CPU time, for a machine that is not quiet: the time a thread
 * waits for a core does not count, so other processes disturb the figure far less than a throughput's. Each
 * configuration runs in a JVM of its own (as JMH forks do: the JIT sees one pool type only), plain HikariCP and
 * {@code GuardedPool} (default config) alternating, {@code rounds} times; per JVM 4 s of warm-up, then the median
 * of {@code seconds} one-second slices. Printed per variant: each round's ns per borrow+close and the ratio plain /
 * guarded (the throughput ratio of {@link PoolBorrowBenchmark}). The {@code void} loop lets the JIT scalar-replace
 * what does not escape, as in the benchmark's {@code borrowAndCloseVoid}; the returning one hands every connection
 * to a static field.
 *
 * <pre>
 * java -cp ampora-dbguard-benchmarks/target/benchmarks.jar io.ampora.dbguard.bench.PoolBorrowCpuTiming [rounds] [seconds] [filter]
 * </pre>
 * (defaults 2 rounds, 5 s: about 5 minutes for the 8 variants; {@code filter} keeps the variants whose name contains
 * it, e.g. {@code "8 true void"}).
 */
public final class PoolBorrowCpuTiming {

    /** Where the returning loop's connections go. */
    static volatile Object sink;
    private static DataSource dataSource;

    private PoolBorrowCpuTiming() {
    }

    /**
     * @param args rounds (2), seconds (5), a variant filter (none); or {@code child pool size autoCommit shape seconds}
     * @throws Exception when a pool or a child JVM fails
     */
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("child")) {
            child(args[1], Integer.parseInt(args[2]), Boolean.parseBoolean(args[3]), args[4].equals("void"), Integer.parseInt(args[5]));
            return;
        }
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        String filter = args.length > 2 ? args[2] : "";
        System.out.printf(Locale.ROOT, "thread CPU ns per borrow+close, median of %d s per JVM after 4 s warm-up; java %s; %d cpus%n",
                seconds, System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());
        for (int size : new int[] {8, 16}) {
            for (boolean autoCommit : new boolean[] {true, false}) {
                for (String shape : new String[] {"void", "returning"}) {
                    String name = size + " " + autoCommit + " " + shape;
                    if (!name.contains(filter)) {
                        continue;
                    }
                    StringBuilder line = new StringBuilder();
                    double[] ratios = new double[rounds];
                    for (int r = 0; r < rounds; r++) {
                        double plain = spawn("hikari", size, autoCommit, shape, seconds);
                        double guarded = spawn("guarded-sampled", size, autoCommit, shape, seconds);
                        ratios[r] = plain / guarded;
                        line.append(String.format(Locale.ROOT, " | %.1f vs %.1f (%.2f)", plain, guarded, ratios[r]));
                    }
                    Arrays.sort(ratios);
                    System.out.printf(Locale.ROOT, "pool %-2d autoCommit %-5s %-9s plain vs guarded ns%s; ratio min %.2f max %.2f%n",
                            size, autoCommit, shape, line, ratios[0], ratios[rounds - 1]);
                }
            }
        }
    }

    private static double spawn(String pool, int size, boolean autoCommit, String shape, int seconds) throws Exception {
        List<String> command = new ArrayList<>(List.of(new File(System.getProperty("java.home"), "bin/java").getPath(),
                "-cp", System.getProperty("java.class.path"), PoolBorrowCpuTiming.class.getName(), "child", pool,
                Integer.toString(size), Boolean.toString(autoCommit), shape, Integer.toString(seconds)));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String result = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l = out.readLine(); l != null; l = out.readLine()) {
                if (l.startsWith("ns/op ")) {
                    result = l.substring(6);
                }
            }
        }
        if (p.waitFor() != 0 || result == null) {
            throw new IllegalStateException(pool + " " + size + " " + autoCommit + " " + shape + " failed");
        }
        return Double.parseDouble(result);
    }

    private static void borrowAndCloseVoid() throws Exception {
        Connection c = dataSource.getConnection();
        c.close();
    }

    private static Connection borrowAndClose() throws Exception {
        try (Connection c = dataSource.getConnection()) {
            return c;
        }
    }

    private static void child(String pool, int size, boolean autoCommit, boolean isVoid, int seconds) throws Exception {
        Class.forName(StubDriver.class.getName());
        HikariDataSource hikari = new HikariDataSource(StubPools.config(size, autoCommit, "cpu-" + pool));
        dataSource = pool.equals("hikari") ? hikari : GuardedPool.wrap(hikari, PoolGuardConfig.defaults());
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        double[] slices = new double[seconds];
        for (int s = -4; s < seconds; s++) {
            long ops = 0;
            long cpu0 = threads.getCurrentThreadCpuTime();
            long end = System.nanoTime() + 1_000_000_000L;
            while (System.nanoTime() < end) {
                for (int i = 0; i < 1_000; i++) {
                    if (isVoid) {
                        borrowAndCloseVoid();
                    } else {
                        sink = borrowAndClose();
                    }
                }
                ops += 1_000;
            }
            if (s >= 0) {
                slices[s] = (threads.getCurrentThreadCpuTime() - cpu0) / (double) ops;
            }
        }
        Arrays.sort(slices);
        System.out.println("ns/op " + slices[seconds / 2]);
        System.exit(0);
    }
}
