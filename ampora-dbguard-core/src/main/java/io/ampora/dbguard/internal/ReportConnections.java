package io.ampora.dbguard.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where one report's read-only sessions on one server get their physical connections. A user's
 * DataSource (a pool) is asked for a connection per session and given it back by {@code close()}. A
 * DataSource that opens a physical connection per call would pay a new backend and login per check, and
 * every new backend starts with empty catalog caches (on 10,000 tables 26 checks took 2.1 s instead of
 * 0.8-1.1 s): a guard built from a URL ({@link UrlDataSource}: the doctor, the monitor without a pool) and a
 * known non-pooling DataSource ({@link #nonPooling}: pgjdbc's {@code PGSimpleDataSource}, Spring's
 * {@code DriverManagerDataSource} and {@code SimpleDriverDataSource}) keep up to {@code maxConcurrency}
 * connections that ended their session cleanly (rolled back, not cut off) for the report's next sessions,
 * and close them when the report ends. Each session still runs in its own read-only transaction whose
 * bounds are set locally ({@link ReadOnlySession}), so a kept connection carries nothing from one check
 * to the next and nothing is left on a server session behind PgBouncer.
 */
final class ReportConnections implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReportConnections.class);
    /** Class names of DataSources that open a new physical connection on every call (no pool behind them). */
    private static final Set<String> NON_POOLING = Set.of(
            "org.springframework.jdbc.datasource.DriverManagerDataSource",
            "org.springframework.jdbc.datasource.SimpleDriverDataSource");

    private final DataSource dataSource;
    private final int keep;
    private final Deque<Connection> idle = new ArrayDeque<>();
    private boolean closed;

    private ReportConnections(DataSource dataSource, int keep) {
        this.dataSource = dataSource;
        this.keep = keep;
    }

    /**
     * @param dataSource     the server's DataSource
     * @param maxConcurrency how many sessions a report runs at once, so how many connections are kept
     * @return reusing connections for a DataSource without a pool behind it, one per session for anything else
     */
    static ReportConnections of(DataSource dataSource, int maxConcurrency) {
        return new ReportConnections(dataSource, nonPooling(dataSource) ? maxConcurrency : 0);
    }

    /**
     * @param dataSource a DataSource
     * @return whether each {@code getConnection()} opens a physical connection only the caller uses: a guard's
     * URL, pgjdbc's {@code PGSimpleDataSource} (not its deprecated {@code PGPoolingDataSource}), Spring's
     * driver-manager DataSources (and their subclasses). Anything else is treated as a pool.
     */
    static boolean nonPooling(DataSource dataSource) {
        if (dataSource instanceof UrlDataSource || dataSource instanceof PGSimpleDataSource) {
            return true;
        }
        for (Class<?> c = dataSource.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            if (NON_POOLING.contains(c.getName())) {
                return true;
            }
        }
        return false;
    }

    /** A connection and whether an earlier session of the report used it. */
    record Lease(Connection connection, boolean reused) {
    }

    /** A kept connection if there is one, else a new one from the DataSource. */
    Lease get() throws SQLException {
        synchronized (this) {
            Connection kept = idle.pollFirst();
            if (kept != null) {
                return new Lease(kept, true);
            }
        }
        return fresh();
    }

    /** A new connection from the DataSource. */
    Lease fresh() throws SQLException {
        return new Lease(dataSource.getConnection(), false);
    }

    /**
     * Takes a connection back after its session: kept when it ended cleanly and there is room, else closed.
     *
     * @param connection the connection, rolled back and in autocommit again when {@code clean}
     * @param clean      whether the session ended with a successful rollback and was never cancelled or aborted
     */
    void release(Connection connection, boolean clean) {
        synchronized (this) {
            if (clean && !closed && idle.size() < keep) {
                idle.addFirst(connection);
                return;
            }
        }
        closeQuietly(connection);
    }

    /** Closes the kept connections; connections released later are closed at once. */
    @Override
    public void close() {
        List<Connection> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(idle);
            idle.clear();
        }
        all.forEach(ReportConnections::closeQuietly);
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (SQLException | RuntimeException e) {
            LOG.debug("could not close a check's connection", e);
        }
    }
}
