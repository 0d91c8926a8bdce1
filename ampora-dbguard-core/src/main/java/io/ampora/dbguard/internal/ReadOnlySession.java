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
 * {@code statement_timeout}, {@code lock_timeout} and {@code idle_in_transaction_session_timeout} set
 * locally (they die with the transaction, so a pooled connection goes back unchanged), and the guard's
 * {@code application_name} set locally so checks can leave the guard's own sessions out.
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
            connection.setAutoCommit(false);
            long statementMs = Math.max(1, timeout.toMillis());
            long lockMs = Math.max(1, Math.min(statementMs, MAX_LOCK_WAIT.toMillis()));
            try (Statement st = connection.createStatement()) {
                // The transaction's first statement: pgjdbc sends BEGIN just before it, and both statements
                // of this one string in the same round trip (one Sync).
                st.execute("SET TRANSACTION READ ONLY;"
                        + " SELECT pg_catalog.set_config('statement_timeout', '" + statementMs + "', true),"
                        + " pg_catalog.set_config('lock_timeout', '" + lockMs + "', true),"
                        + " pg_catalog.set_config('idle_in_transaction_session_timeout', '" + (statementMs + 10_000) + "', true),"
                        + " pg_catalog.set_config('application_name', '" + GuardOptions.GUARD_APPLICATION_NAME + "', true)");
            }
            return new ReadOnlySession(connection, autoCommit, source);
        } catch (SQLException | RuntimeException e) {
            finish(connection, autoCommit);
            source.release(connection, false);
            throw e;
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
