package io.ampora.dbguard.internal;

import io.ampora.dbguard.check.GuardOptions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.Executor;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session a check may only read through: one transaction that is {@code READ ONLY}, with
 * {@code statement_timeout}, {@code lock_timeout} and {@code idle_in_transaction_session_timeout} bounded,
 * and the guard's {@code application_name} so checks can leave the guard's own sessions out.
 * <p>On a connection borrowed from the user's DataSource they are set locally in the transaction's first
 * round trip ({@code SET TRANSACTION READ ONLY} and {@code set_config(..., true)}): they die with the
 * transaction, so the connection goes back to the pool unchanged. On a connection the report owns
 * ({@link ReportConnections#owned()}: a guard built from a URL) they are set at session level
 * ({@code default_transaction_read_only}, {@code set_config(..., false)}) once per physical connection, and
 * again only when a session needs other values, so a check's transaction begins with the check's own query
 * (pgjdbc sends BEGIN in the same round trip). A check's own {@code SET} is undone by the rollback that ends
 * its session, so the next session on the connection finds the settings as applied.
 */
final class ReadOnlySession implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReadOnlySession.class);
    /** Locks are waited for at most this long, so a check blocked behind DDL says so quickly. */
    private static final Duration MAX_LOCK_WAIT = Duration.ofSeconds(1);

    private final Connection connection;
    private final boolean autoCommitBefore;
    private final ReportConnections source;
    /** Set once the session was cancelled or aborted: its connection is never handed to another session. */
    private volatile boolean poisoned;

    private ReadOnlySession(Connection connection, boolean autoCommitBefore, ReportConnections source) {
        this.connection = connection;
        this.autoCommitBefore = autoCommitBefore;
        this.source = source;
    }

    static ReadOnlySession open(ReportConnections source, Duration timeout, Executor abortExecutor) throws SQLException {
        ReportConnections.Lease lease = source.get();
        try {
            return begin(lease.connection(), source, timeout, abortExecutor);
        } catch (SQLException | RuntimeException e) {
            if (!lease.reused()) {
                throw e;
            }
            // a kept connection the server or the network dropped meanwhile: once more on a new one
            LOG.debug("a kept connection failed to start a session; opening a new one", e);
            return begin(source.fresh().connection(), source, timeout, abortExecutor);
        }
    }

    private static ReadOnlySession begin(Connection connection, ReportConnections source, Duration timeout,
                                         Executor abortExecutor) throws SQLException {
        boolean autoCommit = true;
        try {
            autoCommit = connection.getAutoCommit();
            connection.setNetworkTimeout(abortExecutor, Math.toIntExact(timeout.plusSeconds(2).toMillis()));
            Settings settings = Settings.of(timeout);
            if (source.owned() && autoCommit) {
                if (!settings.equals(source.sessionSettings(connection))) {
                    source.sessionSettings(connection, null);
                    try (Statement st = connection.createStatement()) {
                        // outside any transaction (autocommit): session level, kept by the connection
                        st.execute(settings.sql(false));
                    }
                    source.sessionSettings(connection, settings);
                }
                // no round trip: pgjdbc sends BEGIN with the check's first statement, read-only by default
                connection.setAutoCommit(false);
                return new ReadOnlySession(connection, autoCommit, source);
            }
            connection.setAutoCommit(false);
            try (Statement st = connection.createStatement()) {
                // The transaction's first statement: pgjdbc sends BEGIN just before it, and both statements
                // of this one string in the same round trip (one Sync).
                st.execute(settings.sql(true));
            }
            return new ReadOnlySession(connection, autoCommit, source);
        } catch (SQLException | RuntimeException e) {
            finish(connection, autoCommit);
            source.release(connection, false);
            throw e;
        }
    }

    /**
     * The bounds of one session.
     *
     * @param statementMs statement_timeout, ms
     * @param lockMs      lock_timeout, ms
     * @param idleMs      idle_in_transaction_session_timeout, ms
     */
    record Settings(long statementMs, long lockMs, long idleMs) {

        static Settings of(Duration timeout) {
            long statementMs = Math.max(1, timeout.toMillis());
            return new Settings(statementMs, Math.max(1, Math.min(statementMs, MAX_LOCK_WAIT.toMillis())),
                    statementMs + 10_000);
        }

        /**
         * @param local true: for the current transaction only (SET LOCAL); false: for the session
         * @return the one statement string that applies these settings, read-only included
         */
        String sql(boolean local) {
            return (local ? "SET TRANSACTION READ ONLY; SELECT" : "SELECT pg_catalog.set_config('default_transaction_read_only', 'on', false),")
                    + " pg_catalog.set_config('statement_timeout', '" + statementMs + "', " + local + "),"
                    + " pg_catalog.set_config('lock_timeout', '" + lockMs + "', " + local + "),"
                    + " pg_catalog.set_config('idle_in_transaction_session_timeout', '" + idleMs + "', " + local + "),"
                    + " pg_catalog.set_config('application_name', '" + GuardOptions.GUARD_APPLICATION_NAME + "', " + local + ")";
        }
    }

    Connection connection() {
        return connection;
    }

    /** Cancels the statement running on this session, if any; safe from another thread. */
    void cancel() {
        poisoned = true;
        try {
            connection.unwrap(PGConnection.class).cancelQuery();
        } catch (SQLException | RuntimeException e) {
            LOG.debug("could not cancel a check's query", e);
        }
    }

    /** Drops the physical connection without waiting; used when a check is cut off and may hang. */
    void abort(Executor executor) {
        poisoned = true;
        try {
            connection.abort(executor);
        } catch (SQLException | RuntimeException e) {
            LOG.debug("could not abort a check's connection", e);
        }
    }

    /** Marks the session as cut off: its connection is closed, not kept, whatever happens next. */
    void poison() {
        poisoned = true;
    }

    @Override
    public void close() {
        boolean clean = finish(connection, autoCommitBefore);
        source.release(connection, clean && !poisoned);
    }

    /** Rolls back and restores autocommit; returns whether both worked on an open connection. */
    private static boolean finish(Connection connection, boolean autoCommit) {
        try {
            if (!connection.isClosed()) {
                connection.rollback();
                connection.setAutoCommit(autoCommit);
                return true;
            }
        } catch (SQLException | RuntimeException e) {
            LOG.debug("could not roll back a check's session", e);
        }
        return false;
    }
}
