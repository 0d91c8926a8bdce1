package io.ampora.dbguard.check;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;

/**
 * Everything a check gets for one run: a read-only session, the server facts, its settings, the
 * guard's options and a clock.
 *
 * <p>The session is opened on first use, inside a transaction that is {@code READ ONLY} with
 * {@code statement_timeout} and {@code lock_timeout} set locally to the check's budget, and rolled
 * back and closed by the runner. Checks never commit, never change the session and never close it.
 */
public interface CheckContext {

    /**
     * The check's read-only session on its {@link DatabaseCheck#target()}.
     *
     * @return the connection, already inside a read-only transaction
     * @throws SQLException when it cannot be opened
     */
    Connection connection() throws SQLException;

    /**
     * A read-only session on another server of the report, for a check whose evidence is spread over
     * the primary and the replica ({@code unused-indexes} counts the index scans of both). Same rules
     * as {@link #connection()}: opened on first use, read-only, bounded, rolled back and closed by the
     * runner. Look at {@link #connectionAttempt(Target)} first: it says whether that server is
     * configured and answered.
     *
     * @param target the server
     * @return the connection, already inside a read-only transaction
     * @throws SQLException when it cannot be opened or that server is not configured
     */
    default Connection connection(Target target) throws SQLException {
        throw new java.sql.SQLFeatureNotSupportedException("this context has no session on the " + target);
    }

    /**
     * The facts of the check's target server, read once for the whole report.
     *
     * @return the facts
     * @throws IllegalStateException for a check that does not {@link DatabaseCheck#requiresConnection()}
     *                               while the server is unreachable
     */
    ServerFacts facts();

    /**
     * How connecting to a server went when the report started.
     *
     * @param target the server
     * @return the attempt; for an unconfigured replica, an attempt that failed without an error
     */
    ConnectionAttempt connectionAttempt(Target target);

    /**
     * The value of one of the check's settings: what the user configured, or the default.
     *
     * @param setting one of the check's {@link DatabaseCheck#settings()}
     * @param <T>     the value type
     * @return the value
     */
    <T> T setting(CheckSetting<T> setting);

    /**
     * The options of the guard running the check.
     *
     * @return the options
     */
    GuardOptions options();

    /**
     * The clock to read "now" from, so that tests can fix time.
     *
     * @return the clock
     */
    Clock clock();

    /**
     * The check's time budget; the session's {@code statement_timeout} is set to it.
     *
     * @return the budget
     */
    Duration timeout();
}
