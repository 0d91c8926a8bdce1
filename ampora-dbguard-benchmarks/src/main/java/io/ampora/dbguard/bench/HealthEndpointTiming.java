package io.ampora.dbguard.bench;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.health.HealthServer;
import io.ampora.dbguard.monitor.DbGuardMonitor;
import io.ampora.dbguard.monitor.MonitorConfig;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/**
 * A measured run: latency of {@code /health/ready} and {@code /health/live} as a probe sees it, one
 * keep-alive HTTP/1.1 connection per endpoint (as kubelet or a load balancer probes), many requests, over
 * a {@link HealthServer} whose monitor has run every discovered check once on the embedded PostgreSQL.
 * The client is a raw socket, so the figure is the server's answer plus one loopback round trip, not an
 * HTTP client's own overhead. Each round prints p50/p99/p99.9; the summary gives the median and range over
 * the rounds.
 *
 * <p>Run: {@code java -cp ampora-dbguard-benchmarks/target/benchmarks.jar
 * io.ampora.dbguard.bench.HealthEndpointTiming [requestsPerRound] [rounds]} (defaults 20000 and 5, after
 * 20000 warm-up requests per endpoint).
 */
public final class HealthEndpointTiming {

    private HealthEndpointTiming() {
    }

    /**
     * @param args optional requests per round and number of rounds
     * @throws Exception when the database or the server cannot be prepared
     */
    public static void main(String[] args) throws Exception {
        int requests = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        try (TestDatabase db = TestDatabase.create(PostgresServers.get(ServerSpec.defaults()), HealthEndpointTiming.class)) {
            DbGuard guard = DbGuard.builder().dataSource(db.dataSource()).build();
            try (DbGuardMonitor monitor = guard.monitor(MonitorConfig.builder().defaultInterval(Duration.ofHours(1)).build());
                 HealthServer health = HealthServer.start(monitor, new InetSocketAddress("127.0.0.1", 0))) {
                monitor.refresh();
                System.out.printf(Locale.ROOT, "checks=%d java=%s cores=%d load average at start %.2f%n",
                        monitor.lastReport().orElseThrow().checks().size(), System.getProperty("java.version"),
                        Runtime.getRuntime().availableProcessors(),
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
                for (String endpoint : new String[] {"ready", "live"}) {
                    measure("HealthServer", health.port(), endpoint, requests, rounds);
                }
                // For comparison: the same handler run on the JDK server's dispatcher thread (no executor
                // hand-off), as an application mounting HealthHandler in an HttpServer without an executor does.
                com.sun.net.httpserver.HttpServer direct = com.sun.net.httpserver.HttpServer.create(
                        new InetSocketAddress("127.0.0.1", 0), 128);
                direct.createContext("/health", new io.ampora.dbguard.health.HealthHandler(monitor));
                direct.start();
                try {
                    for (String endpoint : new String[] {"ready", "live"}) {
                        measure("dispatcher-thread HttpServer", direct.getAddress().getPort(), endpoint, requests, rounds);
                    }
                } finally {
                    direct.stop(0);
                }
                System.out.printf(Locale.ROOT, "load average at end %.2f%n",
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            }
        }
        System.exit(0);
    }

    private static void measure(String server, int port, String endpoint, int requests, int rounds) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            InputStream in = new BufferedInputStream(socket.getInputStream(), 65_536);
            byte[] request = ("GET /health/" + endpoint + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: probe\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            int bytes = 0;
            for (int i = 0; i < 20_000; i++) {
                bytes = exchange(out, in, request);
            }
            double[] p50 = new double[rounds];
            double[] p99 = new double[rounds];
            double[] p999 = new double[rounds];
            long[] nanos = new long[requests];
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < requests; i++) {
                    long t0 = System.nanoTime();
                    exchange(out, in, request);
                    nanos[i] = System.nanoTime() - t0;
                }
                Arrays.sort(nanos);
                p50[r] = nanos[requests / 2] / 1e6;
                p99[r] = nanos[(int) (requests * 0.99)] / 1e6;
                p999[r] = nanos[(int) (requests * 0.999)] / 1e6;
                System.out.printf(Locale.ROOT, "/health/%s round %d: %d requests, p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms,"
                        + " max %.3f ms%n", endpoint, r + 1, requests, p50[r], p99[r], p999[r], nanos[requests - 1] / 1e6);
            }
            System.out.printf(Locale.ROOT, "%s /health/%s (%d-byte body): p50 median %.3f ms (%.3f-%.3f), p99 median %.3f ms"
                            + " (%.3f-%.3f), p99.9 median %.3f ms over %d rounds of %d keep-alive requests%n",
                    server, endpoint, bytes, median(p50), min(p50), max(p50), median(p99), min(p99), max(p99), median(p999),
                    rounds, requests);
        }
    }

    /** Sends one request and reads the whole answer; returns the body's length. */
    private static int exchange(OutputStream out, InputStream in, byte[] request) throws IOException {
        out.write(request);
        out.flush();
        int length = -1;
        StringBuilder line = new StringBuilder();
        boolean first = true;
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed by the server");
            }
            if (c == '\n') {
                String header = line.toString().trim();
                line.setLength(0);
                if (first) {
                    if (!header.startsWith("HTTP/1.1 200") && !header.startsWith("HTTP/1.1 503")) {
                        throw new IOException("unexpected status line: " + header);
                    }
                    first = false;
                } else if (header.isEmpty()) {
                    break;
                } else if (header.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                    length = Integer.parseInt(header.substring(15).trim());
                }
            } else {
                line.append((char) c);
            }
        }
        if (length < 0) {
            throw new IOException("no Content-Length: the server did not keep the connection alive");
        }
        in.readNBytes(length);
        return length;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElse(0);
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElse(0);
    }
}
