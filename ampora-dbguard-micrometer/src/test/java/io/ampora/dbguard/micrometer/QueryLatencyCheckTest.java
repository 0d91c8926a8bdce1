package io.ampora.dbguard.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@WithPostgres
class QueryLatencyCheckTest {

    @Test
    void statementsSlowerThan100msWarnWithTheP95AndShowUpAsPrometheusBuckets(TestDatabase db) throws Exception {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        QueryMetrics metrics = QueryMetrics.of(prometheus);
        // one open session per thread, opened before the clock starts: a slow database, never a wait for a
        // connection (opening a session per query took over 100 ms on a loaded machine and read as pool-wait)
        try (FixedPool pool = new FixedPool(db.dataSource(), 4)) {
            DataSource dataSource = metrics.wrap(pool);
            concurrently(4, 6, () -> QueryOperation.call("load-orders", () -> query(dataSource, "SELECT pg_sleep(0.15)")));
        }

        CheckResult result = latency(db, metrics);
        assertThat(result.status()).as(result.summary()).isEqualTo(CheckStatus.WARN);
        Finding finding = result.findings().get(0);
        assertThat(finding.details().get("cause")).isEqualTo("database");
        assertThat((Double) finding.details().get("p95Ms")).isBetween(150.0, 1000.0);
        assertThat(finding.details().get("samples")).isEqualTo(24);
        assertThat(finding.details().get("slowestOperation")).isEqualTo("load-orders");
        assertThat(finding.message()).startsWith("The database is slow: the p95 of statement execution is ")
                .contains("slowest operation 'load-orders'");
        assertThat(result.remediation()).contains("slow-queries").doesNotContain("pool-saturation");
        assertThat(result.summary()).contains("the database is slow");

        String scrape = prometheus.scrape();
        assertThat(scrape).contains("ampora_db_query_duration_seconds_bucket{");
        // no statement under the runbook's 100 ms, all 24 under 1 s: the buckets Prometheus computes the p95 from
        assertThat(scrape).contains(
                "ampora_db_query_duration_seconds_bucket{operation=\"load-orders\",outcome=\"success\",le=\"0.1\"} 0\n");
        assertThat(scrape).contains(
                "ampora_db_query_duration_seconds_bucket{operation=\"load-orders\",outcome=\"success\",le=\"1.0\"} 24\n");
        assertThat(scrape).contains("ampora_db_query_duration_seconds_count{operation=\"load-orders\",outcome=\"success\"} 24\n");
        assertThat(scrape).contains("ampora_db_connection_acquire_seconds_bucket{");
        assertThat(scrape).doesNotContain("pg_sleep");
    }

    @Test
    void waitingForThePoolIsToldApartFromASlowDatabase(TestDatabase db) throws Exception {
        QueryMetrics metrics = QueryMetrics.of(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        // a pool of one connection: eight threads queue for it while each query itself takes 20 ms
        try (FixedPool pool = new FixedPool(db.dataSource(), 1)) {
            DataSource dataSource = metrics.wrap(pool);
            concurrently(8, 5, () -> query(dataSource, "SELECT pg_sleep(0.02)"));
        }

        CheckResult result = latency(db, metrics);
        assertThat(result.status()).as(result.summary()).isIn(CheckStatus.WARN, CheckStatus.FAIL);
        assertThat(result.findings()).hasSize(1);
        Finding finding = result.findings().get(0);
        assertThat(finding.details().get("cause")).isEqualTo("pool-wait");
        assertThat((Double) finding.details().get("acquireP95Ms")).isGreaterThan(100.0);
        assertThat(result.summary()).contains("waits for a pooled connection").contains("over 40 acquisitions");
        assertThat(result.remediation()).contains("pool-saturation").doesNotContain("EXPLAIN");
    }

    @Test
    void fastQueriesPassWithTheirNumbers(TestDatabase db) throws Exception {
        QueryMetrics metrics = QueryMetrics.of(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        DataSource dataSource = metrics.wrap(db.dataSource());
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            for (int i = 0; i < 50; i++) {
                st.executeQuery("SELECT 1").close();
            }
        }

        CheckResult result = latency(db, metrics);

        assertThat(result.status()).isEqualTo(CheckStatus.PASS);
        assertThat(result.findings()).isEmpty();
        assertThat(result.summary()).startsWith("Queries are fast: statement p95 ").contains("over 50 statements");
    }

    @Test
    void tooFewStatementsSkipWithTheReason(TestDatabase db) throws Exception {
        QueryMetrics metrics = QueryMetrics.of(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        query(metrics.wrap(db.dataSource()), "SELECT pg_sleep(0.15)");

        CheckResult result = latency(db, metrics);

        assertThat(result.status()).isEqualTo(CheckStatus.SKIP);
        assertThat(result.summary()).contains("Only 1 statement(s)").contains("20 are needed").contains("QueryMetrics.wrap");
    }

    private static CheckResult latency(TestDatabase db, QueryMetrics metrics) {
        return DbGuard.builder().dataSource(db.dataSource()).addCheck(metrics.latencyCheck()).build()
                .report(List.of("query-latency")).result("query-latency").orElseThrow();
    }

    static Object query(DataSource dataSource, String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getObject(1);
        }
    }

    private static void concurrently(int threads, int perThread, java.util.concurrent.Callable<?> work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        work.call();
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A pool of {@code size} sessions opened up front: borrowing takes a free one or waits for one to be
     * returned, so the acquire time measures only waiting for the pool, never opening a session.
     */
    static final class FixedPool implements DataSource, AutoCloseable {
        private final BlockingQueue<Connection> free;
        private final List<Connection> all = new ArrayList<>();

        FixedPool(DataSource delegate, int size) throws SQLException {
            free = new ArrayBlockingQueue<>(size, true);
            for (int i = 0; i < size; i++) {
                Connection c = delegate.getConnection();
                all.add(c);
                free.add(c);
            }
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection c;
            try {
                c = free.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SQLException("interrupted while waiting for a connection", e);
            }
            AtomicBoolean returned = new AtomicBoolean();
            return (Connection) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                        if (method.getName().equals("close")) {
                            if (returned.compareAndSet(false, true)) {
                                free.add(c);
                            }
                            return null;
                        }
                        try {
                            return method.invoke(c, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }

        @Override
        public void close() throws SQLException {
            for (Connection c : all) {
                c.close();
            }
        }

        @Override
        public Connection getConnection(String user, String password) {
            throw new UnsupportedOperationException();
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() {
            return Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return false;
        }
    }
}
