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
 * <p>They are set locally in the transaction's first round trip ({@code SET TRANSACTION READ ONLY} and
 * {@code set_config(..., true)}) on every connection, the user's and the report's own alike: they die with
 * the transaction, so nothing is left on the server session. Setting them once per physical connection at
 * session level would save that round trip, but behind PgBouncer in transaction mode (a URL or a non-pooled
 * DataSource given the application's connection string) the physical connection is not the server session:
 * the settings stayed on a server session that PgBouncer handed to the application next, whose writes then
 * failed as read-only ({@code UrlGuardThroughPgBouncerTest}), and a check's transaction could land on a server
 * session without them.
 */
final class ReadOnlySession implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReadOnlySession.class);
    /** Locks are waited for at most this long, so a check blocked behind DDL says so quickly. */
    private static final Duration MAX_LOCK_WAIT = Duration.ofSeconds(1);
    /** A network timeout not read (the session failed before). */
    private static final int UNKNOWN = -1;

    private final Connection connection;
    private final boolean autoCommitBefore;
    /** The connection's network timeout before the session set its own, given back at its end. */
    private final int networkTimeoutBefore;
    private final ReportConnections source;
    /** Set once the session was cancelled or aborted: its connection is never handed to another session. */
    private volatile boolean poisoned;

    private ReadOnlySession(Connection connection, boolean autoCommitBefore, int networkTimeoutBefore,
                            ReportConnections source) {
        this.connection = connection;
        this.autoCommitBefore = autoCommitBefore;
        this.networkTimeoutBefore = networkTimeoutBefore;
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
        int networkTimeout = UNKNOWN;
        try {
            autoCommit = connection.getAutoCommit();
            networkTimeout = connection.getNetworkTimeout();
            connection.setNetworkTimeout(abortExecutor, Math.toIntExact(timeout.plusSeconds(2).toMillis()));
            Settings settings = Settings.of(timeout);
            connection.setAutoCommit(false);
            try (Statement st = connection.createStatement()) {
                // The transaction's first statement: pgjdbc sends BEGIN just before it, and both statements
                // of this one string in the same round trip (one Sync).
                st.execute(settings.sql());
            }
            return new ReadOnlySession(connection, autoCommit, networkTimeout, source);
        } catch (SQLException | RuntimeException e) {
            finish(connection, autoCommit, networkTimeout);
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
         * @return the one statement string that applies these settings to the current transaction only (SET
         * LOCAL), read-only included
         */
        String sql() {
            return "SET TRANSACTION READ ONLY; SELECT"
                    + " pg_catalog.set_config('statement_timeout', '" + statementMs + "', true),"
                    + " pg_catalog.set_config('lock_timeout', '" + lockMs + "', true),"
                    + " pg_catalog.set_config('idle_in_transaction_session_timeout', '" + idleMs + "', true),"
                    + " pg_catalog.set_config('application_name', '" + GuardOptions.GUARD_APPLICATION_NAME + "', true)";
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
        boolean clean = finish(connection, autoCommitBefore, networkTimeoutBefore);
        source.release(connection, clean && !poisoned);
    }

    /**
     * Rolls back and gives the connection its autocommit and network timeout back (HikariCP resets a network
     * timeout changed through its proxy, other pools do not: the application's next query on it would be cut
     * off after the check's budget); returns whether it all worked on an open connection.
     */
    private static boolean finish(Connection connection, boolean autoCommit, int networkTimeout) {
        try {
            if (!connection.isClosed()) {
                connection.rollback();
                connection.setAutoCommit(autoCommit);
                if (networkTimeout != UNKNOWN && connection.getNetworkTimeout() != networkTimeout) {
                    connection.setNetworkTimeout(Runnable::run, networkTimeout);
                }
                return true;
            }
        } catch (SQLException | RuntimeException e) {
            LOG.debug("could not roll back a check's session", e);
        }
        return false;
    }
}
