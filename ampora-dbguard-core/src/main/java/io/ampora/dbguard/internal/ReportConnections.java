package io.ampora.dbguard.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where one report's read-only sessions on one server get their physical connections. A user's
 * DataSource (a pool) is asked for a connection per session and given it back by {@code close()}. A
 * guard built from a URL ({@link UrlDataSource}, no pool: the doctor, the monitor without a pool) would
 * pay a new physical connection and login per check; for it, up to {@code maxConcurrency} connections
 * that ended their session cleanly (rolled back, not cut off) are kept for the report's next sessions and
 * closed when the report ends. Each session still runs in its own read-only transaction. On such owned
 * connections the read-only default and the timeouts are set at session level once per physical connection
 * ({@link #owned()}, {@link #sessionSettings}); on a user's connections they are set locally per transaction,
 * so the connection goes back to the application unchanged.
 */
final class ReportConnections implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReportConnections.class);

    private final DataSource dataSource;
    private final int keep;
    private final Deque<Connection> idle = new ArrayDeque<>();
    /** What each owned connection's session was set to, as {@link ReadOnlySession} last applied it. */
    private final Map<Connection, ReadOnlySession.Settings> applied = new IdentityHashMap<>();
    private boolean closed;

    private ReportConnections(DataSource dataSource, int keep) {
        this.dataSource = dataSource;
        this.keep = keep;
    }

    /**
     * @param dataSource     the server's DataSource
     * @param maxConcurrency how many sessions a report runs at once, so how many connections are kept
     * @return reusing connections for a {@link UrlDataSource}, one per session for anything else
     */
    static ReportConnections of(DataSource dataSource, int maxConcurrency) {
        return new ReportConnections(dataSource, dataSource instanceof UrlDataSource ? maxConcurrency : 0);
    }

    /**
     * Whether the report owns its connections (a guard built from a URL): nobody else ever uses them and they
     * are closed when the report ends, so a session's characteristics may be set at session level.
     */
    boolean owned() {
        return keep > 0;
    }

    /**
     * @param connection an owned connection
     * @return the session settings last applied to it, or null when none were
     */
    synchronized ReadOnlySession.Settings sessionSettings(Connection connection) {
        return applied.get(connection);
    }

    /**
     * Records the session settings applied to an owned connection (null: unknown, apply again).
     *
     * @param connection the connection
     * @param settings   what its session is now set to
     */
    synchronized void sessionSettings(Connection connection, ReadOnlySession.Settings settings) {
        if (settings == null) {
            applied.remove(connection);
        } else {
            applied.put(connection, settings);
        }
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
            applied.remove(connection);
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
            applied.clear();
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
