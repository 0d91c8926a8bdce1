package io.ampora.dbguard.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.monitor.DbGuardMonitor;
import io.ampora.dbguard.monitor.MonitorConfig;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Thousands of probe requests are answered from the monitor's cached results: the number of database
 * sessions the guard opens does not grow with requests. Latency is printed as a figure, not asserted.
 */
@WithPostgres
class HealthEndpointLoadTest {

    private static final int REQUESTS = 5_000;
    private static final int THREADS = 8;

    @Test
    void thousandsOfProbeRequestsNeverTouchTheDatabase(TestDatabase db) throws Exception {
        CountingDataSource counting = new CountingDataSource(db.dataSource());
        DbGuard guard = DbGuard.builder().dataSource(counting).build();
        // an hour: the only database work in this test is the monitor's first run
        try (DbGuardMonitor monitor = guard.monitor(MonitorConfig.builder().defaultInterval(Duration.ofHours(1)).build());
             HealthServer health = HealthServer.start(monitor, new InetSocketAddress("127.0.0.1", 0))) {
            Await.holds(Duration.ofSeconds(20), () -> monitor.lastReport().isPresent());
            assertThat(monitor.ready()).as("first run done and healthy: %s", monitor.probe(
                    io.ampora.dbguard.check.Probe.READINESS).reason()).isTrue();
            int sessionsBefore = counting.connections.get();
            long runsBefore = monitor.runs();
            assertThat(sessionsBefore).as("the first run opened sessions (the counter works)").isPositive();

            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String[] paths = {"ready", "live", "started", "report"};
            long[] nanos = new long[REQUESTS];
            AtomicInteger next = new AtomicInteger();
            AtomicInteger notOk = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                List<Future<?>> workers = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    workers.add(pool.submit(() -> {
                        for (int i = next.getAndIncrement(); i < REQUESTS; i = next.getAndIncrement()) {
                            URI uri = URI.create("http://127.0.0.1:" + health.port() + "/health/" + paths[i % paths.length]);
                            long t0 = System.nanoTime();
                            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            nanos[i] = System.nanoTime() - t0;
                            if (r.statusCode() != 200 || r.body().isEmpty()) {
                                notOk.incrementAndGet();
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> w : workers) {
                    w.get();
                }
            } finally {
                pool.shutdownNow();
            }

            assertThat(notOk.get()).isZero();
            assertThat(counting.connections.get()).as("sessions opened during %d requests", REQUESTS)
                    .isEqualTo(sessionsBefore);
            assertThat(monitor.runs()).isEqualTo(runsBefore);
            Arrays.sort(nanos);
            System.out.printf("health endpoint: %d requests over %d threads, p50 %.3f ms, p99 %.3f ms, max %.3f ms;"
                            + " database sessions opened by requests: %d%n", REQUESTS, THREADS,
                    nanos[REQUESTS / 2] / 1e6, nanos[(int) (REQUESTS * 0.99)] / 1e6, nanos[REQUESTS - 1] / 1e6,
                    counting.connections.get() - sessionsBefore);
        }
    }

    /** Counts every session the guard opens. */
    static final class CountingDataSource implements DataSource {
        final AtomicInteger connections = new AtomicInteger();
        private final DataSource delegate;

        CountingDataSource(DataSource delegate) {
            this.delegate = delegate;
        }

        @Override
        public Connection getConnection() throws SQLException {
            connections.incrementAndGet();
            return delegate.getConnection();
        }

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            connections.incrementAndGet();
            return delegate.getConnection(user, password);
        }

        @Override
        public PrintWriter getLogWriter() throws SQLException {
            return delegate.getLogWriter();
        }

        @Override
        public void setLogWriter(PrintWriter out) throws SQLException {
            delegate.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            delegate.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return delegate.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() {
            return Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            return delegate.unwrap(iface);
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) throws SQLException {
            return delegate.isWrapperFor(iface);
        }
    }
}
