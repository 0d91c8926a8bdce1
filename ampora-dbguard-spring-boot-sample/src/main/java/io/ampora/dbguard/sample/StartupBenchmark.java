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
import java.util.List;
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
 *   <li>readiness probe: one started sample (monitor interval 1 h), {@code requests} warm-up then {@code requests}
 *   measured GETs of {@code /actuator/health/readiness} over loopback HTTP; p50/p99/max and the sessions the
 *   database opened meanwhile ({@code pg_stat_database.sessions}).</li>
 * </ol>
 * Run: {@code java -jar ampora-dbguard-spring-boot-sample/target/ampora-dbguard-spring-boot-sample.jar
 * benchmark [runs] [requests]} (defaults 10 and 1000).
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
    record Start(double contextSeconds, double processSeconds, long wallMillis, long checkMillis, int port, Process process) {
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
            List<String> with = common;
            List<String> without = new ArrayList<>(common);
            without.add("--ampora.dbguard.enabled=false");
            System.out.printf("startup: %d cold starts each, interleaved; java %s, %d cpus%n", runs,
                    System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());
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
            report("JVM uptime at 'Started'", withoutStarter.stream().mapToDouble(s -> s.processSeconds() * 1000).toArray(),
                    withStarter.stream().mapToDouble(s -> s.processSeconds() * 1000).toArray());
            double[] checks = withStarter.stream().mapToDouble(Start::checkMillis).toArray();
            System.out.printf("the guard's own checks at startup (before Flyway + at startup): median %.0f ms, min %.0f, max %.0f%n",
                    median(checks), min(checks), max(checks));
            // the goal counts the starter's cost apart from the checks' own time, which is reported above
            report("Boot 'Started ... in' minus the checks' own time",
                    withoutStarter.stream().mapToDouble(s -> s.contextSeconds() * 1000).toArray(),
                    withStarter.stream().mapToDouble(s -> s.contextSeconds() * 1000 - s.checkMillis()).toArray());

            List<String> probe = new ArrayList<>(with);
            probe.add("--ampora.dbguard.monitor.interval=1h");
            Start app = start(jar, probe);
            try {
                probe(app.port(), requests, postgres.getPostgresDatabase());
            } finally {
                stop(app);
            }
        }
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
        command.add("-jar");
        command.add(jar);
        command.addAll(appArgs);
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
                        port, process);
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

    private static void probe(int port, int requests, DataSource superuser) throws Exception {
        if (port < 0) {
            throw new IllegalStateException("no port in the sample's log");
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest readiness = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness"))
                .timeout(Duration.ofSeconds(30)).GET().build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (http.send(readiness, HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("readiness not UP within 60 s");
            }
            Thread.sleep(100);
        }
        for (int i = 0; i < requests; i++) {
            http.send(readiness, HttpResponse.BodyHandlers.ofString());
        }
        long sessionsBefore = sessions(superuser);
        long[] micros = new long[requests];
        for (int i = 0; i < requests; i++) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = http.send(readiness, HttpResponse.BodyHandlers.ofString());
            micros[i] = (System.nanoTime() - t0) / 1_000;
            if (r.statusCode() != 200) {
                throw new IllegalStateException("readiness answered " + r.statusCode() + ": " + r.body());
            }
        }
        Thread.sleep(1_500); // session statistics are flushed at most once a second
        long opened = sessions(superuser) - sessionsBefore; // includes the benchmark's own statistics session(s)
        Arrays.sort(micros);
        System.out.printf(Locale.ROOT, "readiness over HTTP (after %d warm-up requests), %d requests: p50 %d us, p99 %d us,"
                        + " max %d us; sessions counted by pg_stat_database meanwhile (the benchmark's own statistics reads included): %d%n", requests, requests, micros[requests / 2],
                micros[(int) Math.ceil(requests * 0.99) - 1], micros[requests - 1], opened);
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
