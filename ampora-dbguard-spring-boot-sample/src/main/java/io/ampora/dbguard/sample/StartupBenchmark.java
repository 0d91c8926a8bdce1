package io.ampora.dbguard.sample;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * The starter's two performance figures, measured on the sample (not a unit test: a measured run whose figures are
 * reported with their spread):
 * <ol>
 *   <li>startup: {@code runs} cold starts (a new JVM each) of the sample with the starter and the same jar with
 *   {@code ampora.dbguard.enabled=false}, interleaved, against one embedded PostgreSQL (migrated by a warm-up start
 *   of each variant); per start Boot's "Started ... in" time, the JVM's uptime then, the time until the log line,
 *   and the guard's own check time ("Database verified ... in N ms", before Flyway and at startup);</li>
 *   <li>readiness probe: one started sample (monitor interval 1 h); a warm-up until the sample's JIT compilers are
 *   quiet (read over JMX), then {@code -Dbenchmark.windows} (default 5) windows of {@code requests} GETs of
 *   {@code /actuator/health/readiness} over loopback HTTP, alternating with Boot's own liveness group; per window
 *   p50/p99/max and what the server's JVM did meanwhile (GC, JIT), and the sessions the database opened
 *   ({@code pg_stat_database.sessions}).</li>
 * </ol>
 * Run: {@code java -jar ampora-dbguard-spring-boot-sample/target/ampora-dbguard-spring-boot-sample.jar
 * benchmark [runs] [requests]} (defaults 10 and 1000; {@code requests} 0: the startup only, {@code runs} 0: the probes
 * only). {@code -Dbenchmark.without=...} replaces what the "without" variant adds (default
 * {@code --ampora.dbguard.enabled=false}), {@code -Dbenchmark.with=...} adds to the "with" variant: space-separated
 * words, {@code -D...} ones JVM options (e.g. {@code -Dbenchmark.without=-Dampora.dbguard.background-preinitializer.ignore=true}
 * compares the starter with and without its background pre-initializer).
 */
final class StartupBenchmark {

    private static final Pattern STARTED = Pattern.compile("Started SampleApplication in ([0-9.]+) seconds \\(process running for ([0-9.]+)\\)");
    private static final Pattern VERIFIED = Pattern.compile("Database verified .* in (\\d+) ms");
    private static final Pattern PORT = Pattern.compile("Tomcat started on port (?:\\(s\\): )?(\\d+)");

    /** -Dbenchmark.log=FILE: every started application's log up to "Started", for a look at where the time goes. */
    private static final java.io.PrintStream LOG = openLog();

    private static java.io.PrintStream openLog() {
        String path = System.getProperty("benchmark.log");
        try {
            return path == null ? null : new java.io.PrintStream(new java.io.FileOutputStream(path, true), true, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private StartupBenchmark() {
    }

    /** One start: Boot's context time, the JVM uptime at "Started", wall time to that line, the guard's check time. */
    record Start(double contextSeconds, double processSeconds, long wallMillis, long checkMillis, int port, Process process,
                 Map<String, Long> partMicros) {
    }

    static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int requests = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        String jar = System.getProperty("java.class.path");
        if (!jar.endsWith(".jar") || jar.contains(File.pathSeparator)) {
            throw new IllegalStateException("run it as java -jar <sample jar> benchmark (class path: " + jar + ")");
        }
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start()) {
            try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
                st.execute("CREATE ROLE sample_app LOGIN PASSWORD 'sample-app-secret'");
                st.execute("CREATE DATABASE sample OWNER sample_app");
            }
            String url = "jdbc:postgresql://localhost:" + postgres.getPort() + "/sample";
            List<String> common = List.of("--spring.datasource.url=" + url, "--spring.datasource.username=sample_app",
                    "--spring.datasource.password=sample-app-secret", "--server.port=0", "--server.address=127.0.0.1");
            List<String> with = new ArrayList<>(common);
            with.addAll(words(System.getProperty("benchmark.with", "")));
            List<String> without = new ArrayList<>(common);
            without.addAll(words(System.getProperty("benchmark.without", "--ampora.dbguard.enabled=false")));
            long began = System.nanoTime();
            if (runs > 0) { // benchmark 0 N: the probes only
                System.out.printf("startup: %d cold starts each, interleaved; java %s, %d cpus%n", runs,
                        System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());
                System.out.printf("variants: 'without' adds %s, 'with' adds %s (-Dbenchmark.without=..., -Dbenchmark.with=...;"
                        + " -D words are JVM options)%n", without.subList(common.size(), without.size()),
                        with.subList(common.size(), with.size()));
                stop(start(jar, with)); // migrates the database; both variants then start on the same migrated database
                stop(start(jar, without));
                List<Start> withStarter = new ArrayList<>();
                List<Start> withoutStarter = new ArrayList<>();
                for (int i = 0; i < runs; i++) {
                    Start a = start(jar, without);
                    stop(a);
                    withoutStarter.add(a);
                    Start b = start(jar, with);
                    stop(b);
                    withStarter.add(b);
                    System.out.printf("  run %2d: without %.3f s (jvm %.3f s, wall %d ms) | with %.3f s (jvm %.3f s, wall %d ms,"
                            + " checks %d ms)%n", i + 1, a.contextSeconds(), a.processSeconds(), a.wallMillis(),
                            b.contextSeconds(), b.processSeconds(), b.wallMillis(), b.checkMillis());
                }
                report("Boot 'Started ... in' (context)", withoutStarter.stream().mapToDouble(s -> s.contextSeconds() * 1000).toArray(),
                        withStarter.stream().mapToDouble(s -> s.contextSeconds() * 1000).toArray());
                pairs("Boot 'Started ... in' (context)", withoutStarter.stream().mapToDouble(s -> s.contextSeconds() * 1000).toArray(),
                        withStarter.stream().mapToDouble(s -> s.contextSeconds() * 1000).toArray());
                report("JVM uptime at 'Started'", withoutStarter.stream().mapToDouble(s -> s.processSeconds() * 1000).toArray(),
                        withStarter.stream().mapToDouble(s -> s.processSeconds() * 1000).toArray());
                pairs("JVM uptime at 'Started'", withoutStarter.stream().mapToDouble(s -> s.processSeconds() * 1000).toArray(),
                        withStarter.stream().mapToDouble(s -> s.processSeconds() * 1000).toArray());
                double[] checks = withStarter.stream().mapToDouble(Start::checkMillis).toArray();
                System.out.printf("the guard's own checks at startup (before Flyway + at startup): median %.0f ms, min %.0f, max %.0f%n",
                        median(checks), min(checks), max(checks));
                // the goal counts the starter's cost apart from the checks' own time, which is reported above
                report("Boot 'Started ... in' minus the checks' own time",
                        withoutStarter.stream().mapToDouble(s -> s.contextSeconds() * 1000).toArray(),
                        withStarter.stream().mapToDouble(s -> s.contextSeconds() * 1000 - s.checkMillis()).toArray());
                double[] upper = pairs("Boot 'Started ... in' minus the checks' own time",
                        withoutStarter.stream().mapToDouble(s -> s.contextSeconds() * 1000).toArray(),
                        withStarter.stream().mapToDouble(s -> s.contextSeconds() * 1000 - s.checkMillis()).toArray());
                System.out.printf(Locale.ROOT, "goal 'under 150 ms added' (the checks' own time apart), by the pairs: %s%n",
                        upper == null ? "undecided (too few pairs for a 95 %% interval: 6 or more)"
                                : upper[1] < 150 ? String.format(Locale.ROOT, "met (the interval's upper end %.0f ms < 150 ms)", upper[1])
                                : upper[0] >= 150 ? String.format(Locale.ROOT, "missed (the interval's lower end %.0f ms >= 150 ms)", upper[0])
                                : String.format(Locale.ROOT, "undecided (the interval [%.0f, %.0f] ms holds 150 ms: more pairs or a quieter"
                                        + " machine)", upper[0], upper[1]));

                parts(withoutStarter, withStarter);
            }

            if (requests > 0) { // benchmark N 0: the startup only
                List<String> probe = new ArrayList<>(with);
                probe.add("--ampora.dbguard.monitor.interval=1h");
                Start app = start(jar, probe);
                try {
                    probe(app.port(), app.process(), requests, postgres.getPostgresDatabase());
                } finally {
                    stop(app);
                }
            }
            System.out.printf(Locale.ROOT, "benchmark ran %.0f s%n", (System.nanoTime() - began) / 1e9);
        }
    }

    private static List<String> words(String s) {
        return s.isBlank() ? List.of() : List.of(s.trim().split("\\s+"));
    }

    /**
     * The per-pair differences (with minus without, the two starts of one pair run back to back, so they share the
     * machine's state): their median and a distribution-free 95 % confidence interval for it from the order
     * statistics (the sign test's binomial bounds: no normality assumed; with 10 pairs the 2nd and 9th smallest
     * differences, 97.9 % coverage; with 30 the 10th and 21st, 95.7 %).
     *
     * @return the interval's ends, or null with fewer than 6 pairs
     */
    private static double[] pairs(String what, double[] without, double[] with) {
        int n = Math.min(without.length, with.length);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = with[i] - without[i];
        }
        Arrays.sort(d);
        int k = orderStatistic(n);
        if (k == 0) {
            System.out.printf(Locale.ROOT, "%s, per pair (with minus without): median %.0f ms, min %.0f, max %.0f over %d pairs"
                    + " (too few for a 95 %% interval: 6 or more)%n", what, median(d), d[0], d[n - 1], n);
            return null;
        }
        double lo = d[k - 1];
        double hi = d[n - k];
        System.out.printf(Locale.ROOT, "%s, per pair (with minus without): median %.0f ms, 95 %% confidence interval [%.0f, %.0f] ms"
                        + " (order statistics %d and %d of %d pairs, coverage %.1f %%), min %.0f, max %.0f%n", what, median(d), lo, hi,
                k, n + 1 - k, n, 100 * (1 - 2 * binomialCdf(n, k - 1)), d[0], d[n - 1]);
        return new double[] {lo, hi};
    }

    /** The largest k with P(Bin(n, 1/2) <= k - 1) <= 2.5 %, or 0 when there is none (n < 6). */
    static int orderStatistic(int n) {
        int k = 0;
        while (k + 1 <= n / 2 && binomialCdf(n, k) <= 0.025) {
            k++;
        }
        return k;
    }

    /** P(Bin(n, 1/2) <= x). */
    static double binomialCdf(int n, int x) {
        double sum = 0;
        double c = 1; // C(n, 0)
        for (int i = 0; i <= x; i++) {
            sum += c;
            c = c * (n - i) / (i + 1);
        }
        return sum / Math.pow(2, n);
    }

    /**
     * Where the added time goes: each part's own time (Boot's startup steps, see {@link StartupSteps}), median over
     * the starts of each variant, for the parts whose medians differ by 5 ms or more.
     */
    private static void parts(List<Start> without, List<Start> with) {
        TreeSet<String> names = new TreeSet<>();
        without.forEach(s -> names.addAll(s.partMicros().keySet()));
        with.forEach(s -> names.addAll(s.partMicros().keySet()));
        record Part(String name, double without, double with) {
            double added() {
                return with - without;
            }
        }
        List<Part> parts = new ArrayList<>();
        for (String name : names) {
            parts.add(new Part(name, median(without.stream().mapToDouble(s -> s.partMicros().getOrDefault(name, 0L) / 1000.0).toArray()),
                    median(with.stream().mapToDouble(s -> s.partMicros().getOrDefault(name, 0L) / 1000.0).toArray())));
        }
        parts.sort((a, b) -> Double.compare(b.added(), a.added()));
        double total = parts.stream().mapToDouble(Part::added).sum();
        System.out.printf(Locale.ROOT, "where the time goes (Boot's startup steps, each part's own time, median ms; parts"
                + " differing by 5 ms or more; the sum of all parts' differences %.0f ms). Bean 'flyway' holds the checks"
                + " before Flyway migrates, bean 'dbGuardStartup' the checks at startup:%n", total);
        for (Part p : parts) {
            if (Math.abs(p.added()) >= 5) {
                System.out.printf(Locale.ROOT, "  %-70s without %7.1f  with %7.1f  added %+7.1f%n", p.name(), p.without(),
                        p.with(), p.added());
            }
        }
        // the starter's own beans (their names say dbguard) without the one that runs the startup checks, and what the
        // decoration adds to the DataSource bean; the checks before Flyway run inside bean 'flyway', so are not here
        double own = parts.stream().filter(p -> p.name().toLowerCase(Locale.ROOT).contains("dbguard")
                && !p.name().equals("bean:dbGuardStartup")).mapToDouble(Part::added).sum();
        double dataSource = parts.stream().filter(p -> p.name().equals("bean:dataSource")).mapToDouble(Part::added).sum();
        System.out.printf(Locale.ROOT, "the starter's own parts besides the checks: its beans %.0f ms + the DataSource's"
                + " decoration %.0f ms = %.0f ms (medians; the decoration includes GuardedPool's first connection, whose"
                + " driver loading the application otherwise pays in Flyway's pool start)%n", own, dataSource, own + dataSource);
    }

    private static void report(String what, double[] without, double[] with) {
        double added = median(with) - median(without);
        System.out.printf(Locale.ROOT, "%s: without the starter median %.0f ms (min %.0f, max %.0f); with median %.0f ms"
                        + " (min %.0f, max %.0f); added (difference of medians) %.0f ms%n", what, median(without), min(without),
                max(without), median(with), min(with), max(with), added);
    }

    private static Start start(String jar, List<String> appArgs) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(new File(System.getProperty("java.home"), "bin/java").getPath());
        command.add("-Dsample.startup-steps=true"); // each part's own time, printed after "Started" (StartupSteps)
        appArgs.stream().filter(a -> a.startsWith("-D")).forEach(command::add);
        command.add("-jar");
        command.add(jar);
        appArgs.stream().filter(a -> !a.startsWith("-D")).forEach(command::add);
        long t0 = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        long checks = 0;
        int port = -1;
        List<String> seen = new ArrayList<>();
        String line;
        while ((line = out.readLine()) != null) {
            seen.add(line);
            if (LOG != null) {
                LOG.println(line);
            }
            Matcher verified = VERIFIED.matcher(line);
            if (verified.find()) {
                checks += Long.parseLong(verified.group(1));
            }
            Matcher p = PORT.matcher(line);
            if (p.find()) {
                port = Integer.parseInt(p.group(1));
            }
            Matcher started = STARTED.matcher(line);
            if (started.find()) {
                long wall = (System.nanoTime() - t0) / 1_000_000;
                Map<String, Long> parts = new HashMap<>();
                while ((line = out.readLine()) != null && !line.equals(StartupSteps.END)) {
                    if (line.startsWith("startup-part ")) {
                        String[] f = line.split(" ");
                        parts.put(f[1], Long.parseLong(f[2]));
                    }
                }
                Thread drain = new Thread(() -> {
                    try {
                        while (out.readLine() != null) {
                            // keeps the child's pipe from filling up
                        }
                    } catch (java.io.IOException e) {
                        // the child ended
                    }
                }, "drain");
                drain.setDaemon(true);
                drain.start();
                return new Start(Double.parseDouble(started.group(1)), Double.parseDouble(started.group(2)), wall, checks,
                        port, process, parts);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("the sample did not start:\n" + String.join("\n", seen));
    }

    private static void stop(Start start) throws InterruptedException {
        start.process().destroy();
        if (!start.process().waitFor(30, TimeUnit.SECONDS)) {
            start.process().destroyForcibly().waitFor();
        }
    }

    private static void probe(int port, Process server, int requests, DataSource superuser) throws Exception {
        if (port < 0) {
            throw new IllegalStateException("no port in the sample's log");
        }
        int floorWarmup;
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest readiness = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness"))
                .timeout(Duration.ofSeconds(30)).GET().build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (http.send(readiness, HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("readiness not UP within 60 s");
            }
            Thread.sleep(100);
        }
        // one keep-alive connection, blocking, nothing allocated beyond the response bytes: the client is not what is
        // measured. Liveness (Boot's own group, no DbGuard) and readiness (with dbguard) alternate, so both see the
        // same machine; the JDK HttpClient's figure for readiness follows, for comparison with earlier runs.
        try (KeepAliveClient client = new KeepAliveClient(port); ServerJvm jvm = ServerJvm.attach(server)) {
            // -Dbenchmark.warmup=PAIRS: the warm-up runs the very loop that is measured, so that the client's JIT has
            // compiled it before the measured window (compiling it then took a core from the server for a few hundred ms)
            int warmup = Integer.getInteger("benchmark.warmup", Math.max(requests, 2_000));
            alternate(client, warmup);
            warmup += settle(client, jvm);
            floorWarmup = warmup;
            int windows = Math.max(1, Integer.getInteger("benchmark.windows", 5));
            long sessionsBefore = sessions(superuser);
            long[] readyP99 = new long[windows];
            long[] liveP99 = new long[windows];
            Alternating worst = null;
            int worstWindow = 0;
            System.out.printf(Locale.ROOT, "probes over HTTP, a blocking keep-alive client, %d windows of %d requests each,"
                    + " liveness and readiness alternating, after %d warm-up pairs (Tomcat closes a connection after 100"
                    + " requests, the reconnection is not timed):%n", windows, requests, warmup);
            for (int w = 0; w < windows; w++) {
                long clientGc = gcMillis();
                ServerJvm.Counters serverBefore = jvm == null ? null : jvm.counters();
                Alternating measured = alternate(client, requests);
                clientGc = gcMillis() - clientGc;
                ServerJvm.Counters serverAfter = jvm == null ? null : jvm.counters();
                readyP99[w] = percentile(measured.ready(), 0.99);
                liveP99[w] = percentile(measured.live(), 0.99);
                System.out.printf(Locale.ROOT, "  window %d: readiness (with dbguard, %d bytes) %s; liveness (Boot only, %d bytes) %s;"
                        + " server: %s; client GC %d ms%n", w + 1, measured.readyBytes(), summary(measured.ready()),
                        measured.liveBytes(), summary(measured.live()), serverAfter == null ? "not readable"
                                : String.format(Locale.ROOT, "%d GC pauses (%d ms), JIT %d ms",
                                        serverAfter.gcPauses() - serverBefore.gcPauses(),
                                        serverAfter.gcMillis() - serverBefore.gcMillis(),
                                        serverAfter.jitMillis() - serverBefore.jitMillis()), clientGc);
                if (worst == null || readyP99[w] > readyP99[worstWindow]) {
                    worst = measured;
                    worstWindow = w;
                }
            }
            Thread.sleep(1_500); // session statistics are flushed at most once a second
            long opened = sessions(superuser) - sessionsBefore; // includes the benchmark's own statistics session(s)
            long under = Arrays.stream(readyP99).filter(p -> p < 1_000).count();
            System.out.printf(Locale.ROOT, "  readiness p99 by window: %s us (median %d us); windows under 1 ms: %d of %d%n",
                    Arrays.toString(readyP99), percentile(readyP99, 0.5), under, windows);
            System.out.printf(Locale.ROOT, "  liveness  p99 by window: %s us (median %d us), Boot's own group on the same"
                    + " machine%n", Arrays.toString(liveP99), percentile(liveP99, 0.5));
            System.out.printf("  the window with the highest readiness p99 (%d):%n", worstWindow + 1);
            slow("    liveness ", worst.live(), worst.liveAt());
            slow("    readiness", worst.ready(), worst.readyAt());
            System.out.printf(Locale.ROOT, "  sessions counted by pg_stat_database meanwhile (the benchmark's own statistics"
                    + " reads included): %d%n", opened);
        }
        long[] micros = new long[requests];
        for (int i = 0; i < requests; i++) {
            http.send(readiness, HttpResponse.BodyHandlers.ofString());
        }
        for (int i = 0; i < requests; i++) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = http.send(readiness, HttpResponse.BodyHandlers.ofString());
            micros[i] = (System.nanoTime() - t0) / 1_000;
            if (r.statusCode() != 200) {
                throw new IllegalStateException("readiness answered " + r.statusCode() + ": " + r.body());
            }
        }
        percentiles("  readiness with the JDK HttpClient (one client, HTTP/1.1)", micros);
        floor(requests, floorWarmup);
    }

    /**
     * Warm-up rounds of 2,000 pairs until the sample's JIT compilers are quiet: two rounds in a row that add at most
     * {@code -Dbenchmark.settle.jit-ms} (default 10) ms of compilation, at most {@code -Dbenchmark.settle.max} (default
     * 60,000) pairs. A Boot application is still compiling its request path with C2 after 20,000 requests on two
     * cores (measured: 100-200 compilations a second, each taking a core from the server for up to tens of ms), and
     * a window measured then times the compiler, not the probe.
     *
     * @return the pairs sent
     */
    private static int settle(KeepAliveClient client, ServerJvm jvm) throws java.io.IOException {
        if (jvm == null) {
            return 0;
        }
        int round = 2_000;
        int max = Integer.getInteger("benchmark.settle.max", 60_000);
        long quietMillis = Integer.getInteger("benchmark.settle.jit-ms", 10);
        List<Long> added = new ArrayList<>();
        int pairs = 0;
        int quiet = 0;
        while (quiet < 2 && pairs < max) {
            long before = jvm.counters().jitMillis();
            alternate(client, round);
            pairs += round;
            long jit = jvm.counters().jitMillis() - before;
            added.add(jit);
            quiet = jit <= quietMillis ? quiet + 1 : 0;
        }
        System.out.printf(Locale.ROOT, "server JIT compilation per warm-up round of %d pairs (ms): %s: %s after %d pairs%n", round,
                added, quiet >= 2 ? "settled" : "NOT settled", pairs);
        return pairs;
    }

    private static long percentile(long[] values, double p) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.max(0, (int) Math.ceil(sorted.length * p) - 1)];
    }

    private static String summary(long[] micros) {
        long over = Arrays.stream(micros).filter(m -> m > 1_000).count();
        return String.format(Locale.ROOT, "p50 %d us, p99 %d us, max %d us, %d over 1 ms", percentile(micros, 0.5),
                percentile(micros, 0.99), percentile(micros, 1.0), over);
    }

    /**
     * The sample's JVM seen over JMX (attach API, its local management agent): how long its JIT compilers and its
     * collector have worked so far, so that the warm-up can run until the compilers are quiet and each window says
     * what the server's JVM did meanwhile. Null (and a line saying why) when the JVM cannot be attached to.
     */
    private static final class ServerJvm implements AutoCloseable {
        private final javax.management.remote.JMXConnector connector;
        private final java.lang.management.CompilationMXBean jit;
        private final List<java.lang.management.GarbageCollectorMXBean> collectors;

        private ServerJvm(javax.management.remote.JMXConnector connector) throws java.io.IOException {
            this.connector = connector;
            javax.management.MBeanServerConnection server = connector.getMBeanServerConnection();
            this.jit = java.lang.management.ManagementFactory.newPlatformMXBeanProxy(server,
                    java.lang.management.ManagementFactory.COMPILATION_MXBEAN_NAME, java.lang.management.CompilationMXBean.class);
            this.collectors = java.lang.management.ManagementFactory.getPlatformMXBeans(server,
                    java.lang.management.GarbageCollectorMXBean.class);
        }

        static ServerJvm attach(Process process) {
            try {
                com.sun.tools.attach.VirtualMachine vm = com.sun.tools.attach.VirtualMachine.attach(Long.toString(process.pid()));
                String address;
                try {
                    address = vm.startLocalManagementAgent();
                } finally {
                    vm.detach();
                }
                return new ServerJvm(javax.management.remote.JMXConnectorFactory.connect(
                        new javax.management.remote.JMXServiceURL(address)));
            } catch (Exception | LinkageError e) {
                System.out.println("the sample's JVM cannot be read over JMX (" + e + "): fixed warm-up, no server figures");
                return null;
            }
        }

        /** What the server's JVM has done so far: JIT compilation time, collections and their time. */
        record Counters(long jitMillis, long gcPauses, long gcMillis) {
        }

        Counters counters() {
            long count = 0;
            long millis = 0;
            for (java.lang.management.GarbageCollectorMXBean gc : collectors) {
                count += gc.getCollectionCount();
                millis += gc.getCollectionTime();
            }
            return new Counters(jit.getTotalCompilationTime(), count, millis);
        }

        @Override
        public void close() throws java.io.IOException {
            connector.close();
        }
    }

    private static long[][] floorLoop(KeepAliveClient client, int requests) throws java.io.IOException {
        long[] micros = new long[requests];
        long[] at = new long[requests];
        long window = System.nanoTime();
        for (int i = 0; i < requests; i++) {
            client.ready();
            long t0 = System.nanoTime();
            client.get("/floor");
            micros[i] = (System.nanoTime() - t0) / 1_000;
            at[i] = (t0 - window) / 1_000_000;
        }
        return new long[][] {micros, at};
    }

    /** Liveness and readiness, alternating: each request's time (us) and when it started (ms into the window). */
    private record Alternating(long[] live, long[] ready, long[] liveAt, long[] readyAt, int liveBytes, int readyBytes) {
    }

    private static Alternating alternate(KeepAliveClient client, int requests) throws java.io.IOException {
        long[] live = new long[requests];
        long[] ready = new long[requests];
        long[] liveAt = new long[requests];
        long[] readyAt = new long[requests];
        int liveBytes = 0;
        int readyBytes = 0;
        long window = System.nanoTime();
        for (int i = 0; i < requests; i++) {
            client.ready();
            long t0 = System.nanoTime();
            liveBytes = client.get("/actuator/health/liveness");
            long t1 = System.nanoTime();
            client.ready();
            long t2 = System.nanoTime();
            readyBytes = client.get("/actuator/health/readiness");
            long t3 = System.nanoTime();
            live[i] = (t1 - t0) / 1_000;
            ready[i] = (t3 - t2) / 1_000;
            liveAt[i] = (t0 - window) / 1_000_000;
            readyAt[i] = (t2 - window) / 1_000_000;
        }
        return new Alternating(live, ready, liveAt, readyAt, liveBytes, readyBytes);
    }

    /**
     * The machine's floor for one HTTP exchange between two threads: the JDK's own {@code HttpServer} (no Boot, no
     * Tomcat, no JSON) answering the liveness body from the benchmark's JVM to the same client, after the same
     * warm-up. A probe cannot be faster than this on the machine; its tail is the operating system's and the
     * virtual machine's (thread wake-ups), not the application's.
     */
    private static void floor(int requests, int warmup) throws Exception {
        byte[] body = "{\"status\":\"UP\"}".getBytes(StandardCharsets.US_ASCII);
        // the JDK's server writes the headers and the body apart and leaves Nagle's algorithm on by default, which
        // with the client's delayed acknowledgement costs 40 ms a request; Tomcat sets TCP_NODELAY, so this does too
        System.setProperty("sun.net.httpserver.nodelay", "true");
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/floor", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        java.util.concurrent.ExecutorService worker = java.util.concurrent.Executors.newSingleThreadExecutor();
        server.setExecutor(worker);
        server.start();
        try (KeepAliveClient client = new KeepAliveClient(server.getAddress().getPort())) {
            floorLoop(client, 2 * warmup); // as many requests as the probes' warm-up sent, through the measured loop itself
            long[][] timed = floorLoop(client, requests);
            long[] micros = timed[0];
            long[] at = timed[1];
            percentiles("  floor: the JDK's HttpServer in this JVM, " + body.length + " bytes, no framework, same client", micros);
            slow("  floor    ", micros, at);
        } finally {
            server.stop(0);
            worker.shutdownNow();
        }
    }

    /** When the requests over 1 ms came (ms into the measured window): a tail from the machine shows as clusters. */
    private static void slow(String what, long[] micros, long[] atMillis) {
        StringBuilder at = new StringBuilder();
        int n = 0;
        for (int i = 0; i < micros.length; i++) {
            if (micros[i] > 1_000) {
                if (n++ < 40) {
                    at.append(n > 1 ? ", " : "").append(atMillis[i]).append(" ms: ").append(micros[i]).append(" us");
                }
            }
        }
        System.out.printf(Locale.ROOT, "%s requests over 1 ms: %d (at %s)%n", what, n, at);
    }

    private static void percentiles(String what, long[] micros) {
        long[] sorted = micros.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        System.out.printf(Locale.ROOT, "%s: p50 %d us, p90 %d us, p99 %d us, max %d us%n", what, sorted[n / 2],
                sorted[(int) Math.ceil(n * 0.9) - 1], sorted[(int) Math.ceil(n * 0.99) - 1], sorted[n - 1]);
    }

    private static long gcMillis() {
        return java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(java.lang.management.GarbageCollectorMXBean::getCollectionTime).sum();
    }

    /** A blocking HTTP/1.1 client on one kept-alive socket: GET, status 200 expected, body read and counted. */
    private static final class KeepAliveClient implements AutoCloseable {
        private final int port;
        private final byte[] buffer = new byte[64 * 1024];
        private java.net.Socket socket;
        private java.io.InputStream in;
        private java.io.OutputStream out;
        private boolean closing;
        private int connections;

        KeepAliveClient(int port) throws java.io.IOException {
            this.port = port;
            connect();
        }

        private void connect() throws java.io.IOException {
            if (socket != null) {
                socket.close();
            }
            socket = new java.net.Socket("127.0.0.1", port);
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(30_000);
            in = new java.io.BufferedInputStream(socket.getInputStream(), 64 * 1024);
            out = socket.getOutputStream();
            closing = false;
            connections++;
        }

        /**
         * Opens a new connection when the server closed the last one (Tomcat closes a connection after
         * server.tomcat.max-keep-alive-requests, 100 by default): called outside the timed section.
         */
        void ready() throws java.io.IOException {
            if (closing) {
                connect();
            }
        }

        /** @return the connections opened so far */
        int connections() {
            return connections;
        }

        /** @return the body's length */
        int get(String path) throws java.io.IOException {
            ready();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = line();
            if (!status.startsWith("HTTP/1.1 200")) {
                throw new IllegalStateException(path + " answered " + status);
            }
            int length = -1;
            boolean chunked = false;
            for (String h = line(); !h.isEmpty(); h = line()) {
                String lower = h.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Integer.parseInt(lower.substring(15).trim());
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    chunked = true;
                } else if (lower.startsWith("connection:") && lower.contains("close")) {
                    closing = true;
                }
            }
            if (!chunked) {
                read(length);
                return length;
            }
            int total = 0;
            for (int size = Integer.parseInt(line().trim(), 16); size > 0; size = Integer.parseInt(line().trim(), 16)) {
                read(size);
                line();
                total += size;
            }
            line();
            return total;
        }

        private void read(int n) throws java.io.IOException {
            int left = n;
            while (left > 0) {
                int r = in.read(buffer, 0, Math.min(left, buffer.length));
                if (r < 0) {
                    throw new java.io.EOFException();
                }
                left -= r;
            }
        }

        private String line() throws java.io.IOException {
            StringBuilder sb = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new java.io.EOFException();
                }
                if (c != '\r') {
                    sb.append((char) c);
                }
            }
            return sb.toString();
        }

        @Override
        public void close() throws java.io.IOException {
            socket.close();
        }
    }

    private static long sessions(DataSource superuser) throws Exception {
        try (Connection c = superuser.getConnection(); Statement st = c.createStatement()) {
            st.execute("SELECT pg_catalog.pg_stat_clear_snapshot()");
            try (ResultSet rs = st.executeQuery("SELECT sessions FROM pg_catalog.pg_stat_database WHERE datname = 'sample'")) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }
}
