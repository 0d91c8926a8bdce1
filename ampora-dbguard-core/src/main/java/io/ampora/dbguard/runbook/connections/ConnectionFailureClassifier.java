package io.ampora.dbguard.runbook.connections;

import io.ampora.dbguard.check.ConnectionAttempt;
import io.ampora.dbguard.check.NoFreePoolConnectionException;
import io.ampora.dbguard.internal.SettingValues;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/**
 * Names the runbook cause of a failed connection from the driver's exception: SQLState first (28P01,
 * 28000, 3D000, 53300, 57P03, 53100), then the network exception underneath (unknown host, refused,
 * timeout, no route, TLS), then the message. An exception that is neither the driver's nor the network's
 * (a DataSource wrapper refusing the session, say) is {@link ConnectionFailure#DATASOURCE_ERROR} when
 * nothing from the driver lies under it. A pool that said it has no free connection
 * ({@link NoFreePoolConnectionException}) is {@link ConnectionFailure#POOL_EXHAUSTED} whatever lies under it.
 * Used by {@code connectivity}, {@code replica-lag} and by the pool diagnostics.
 */
public final class ConnectionFailureClassifier {

    /** The name in the server's "too many connections for role|database "name"". */
    private static final Pattern LIMITED = Pattern.compile("too many connections for (?:role|database) \"(.*)\"");

    private ConnectionFailureClassifier() {
    }

    /**
     * Classifies a connection failure.
     *
     * @param error what {@code getConnection()} threw
     * @return the diagnosis
     */
    public static ConnectionDiagnosis classify(Throwable error) {
        return classifyError(error);
    }

    /**
     * Diagnoses a failed connection attempt of the guard: the pool's exhaustion when its pool said so
     * ({@link NoFreePoolConnectionException}, also when the guard stopped waiting), a timeout when the guard
     * stopped waiting for anything else, otherwise what the attempt threw.
     *
     * @param attempt a failed attempt
     * @return the diagnosis
     */
    public static ConnectionDiagnosis diagnose(ConnectionAttempt attempt) {
        Throwable error = attempt.error().orElse(null);
        if (attempt.timedOut() && noFreePoolConnection(error).isEmpty()) {
            return new ConnectionDiagnosis(ConnectionFailure.TIMEOUT, "no connection within "
                    + SettingValues.format(attempt.duration()) + " (the guard's connect timeout)", "");
        }
        return classifyError(error);
    }

    /**
     * @param error what a connection attempt ended with
     * @return the pool exhaustion in its chain, empty when none
     */
    public static Optional<NoFreePoolConnectionException> noFreePoolConnection(Throwable error) {
        return Optional.ofNullable(first(error, NoFreePoolConnectionException.class));
    }

    /**
     * The cause's fix, with the role or database filled in: for a connection limit from the server's message
     * ("too many connections for role "app""), else the ones given.
     *
     * @param diagnosis the diagnosis
     * @param user      the user the connection was for, or null
     * @param database  the database it was for, or null
     * @return the remediation to show
     */
    public static String remediation(ConnectionDiagnosis diagnosis, String user, String database) {
        String fix = diagnosis.cause().remediation();
        Matcher named = LIMITED.matcher(diagnosis.driverMessage());
        String limited = named.find() ? named.group(1) : null;
        if (diagnosis.cause() == ConnectionFailure.PASSWORD_AUTHENTICATION_FAILED) {
            return fillIn(fix, "<role>", user);
        }
        if (diagnosis.cause() == ConnectionFailure.ROLE_CONNECTION_LIMIT) {
            return fillIn(fix, "<role>", limited != null ? limited : user);
        }
        if (diagnosis.cause() == ConnectionFailure.DATABASE_CONNECTION_LIMIT) {
            return fillIn(fix, "<database>", limited != null ? limited : database);
        }
        return fix;
    }

    private static String fillIn(String fix, String placeholder, String name) {
        if (name == null || name.isEmpty()) {
            return fix;
        }
        String literal = "'" + name.replace("'", "''") + "'";
        String identifier = name.matches("[a-z_][a-z0-9_$]*") ? name : "\"" + name.replace("\"", "\"\"") + "\"";
        return fix.replace("'" + placeholder + "'", literal).replace(placeholder, identifier);
    }

    private static ConnectionDiagnosis classifyError(Throwable error) {
        SQLException sql = first(error, SQLException.class);
        String state = sql == null ? "" : nullToEmpty(sql.getSQLState());
        String message = error == null ? "" : nullToEmpty(sql != null ? sql.getMessage() : error.getMessage());
        return new ConnectionDiagnosis(cause(error, state, message), message, state);
    }

    private static ConnectionFailure cause(Throwable error, String state, String message) {
        if (first(error, NoFreePoolConnectionException.class) != null) {
            return ConnectionFailure.POOL_EXHAUSTED;
        }
        String lower = message.toLowerCase(Locale.ROOT);
        switch (state) {
            case "28P01":
                return ConnectionFailure.PASSWORD_AUTHENTICATION_FAILED;
            case "28000":
                return lower.contains("pg_hba.conf") ? ConnectionFailure.NO_PG_HBA_ENTRY : ConnectionFailure.INVALID_AUTHORIZATION;
            case "3D000":
                return ConnectionFailure.DATABASE_DOES_NOT_EXIST;
            case "53300":
                // one SQLState for three limits; the message tells them apart (the server's language permitting)
                return lower.contains("too many connections for role") ? ConnectionFailure.ROLE_CONNECTION_LIMIT
                        : lower.contains("too many connections for database") ? ConnectionFailure.DATABASE_CONNECTION_LIMIT
                        : ConnectionFailure.TOO_MANY_CLIENTS;
            case "57P03", "57P01", "57P02":
                // 57P01/57P02: a server shutting down (or crashing) ends the backend that was accepting us
                return ConnectionFailure.SERVER_STARTING_OR_RECOVERING;
            case "53100":
                return ConnectionFailure.DISK_FULL;
            default:
                break;
        }
        Throwable own = ownException(error).orElse(null);
        if (own != null && !hasDriverCause(own)) {
            return ConnectionFailure.DATASOURCE_ERROR;
        }
        if (first(error, UnknownHostException.class) != null) {
            return ConnectionFailure.HOST_UNRESOLVABLE;
        }
        if (first(error, NoRouteToHostException.class) != null) {
            return ConnectionFailure.NETWORK_UNREACHABLE;
        }
        if (first(error, SocketTimeoutException.class) != null || lower.contains("timed out") || lower.contains("timeout")) {
            return ConnectionFailure.TIMEOUT;
        }
        ConnectException refused = first(error, ConnectException.class);
        if (refused != null) {
            String m = nullToEmpty(refused.getMessage()).toLowerCase(Locale.ROOT);
            if (m.contains("unreachable") || m.contains("no route")) {
                return ConnectionFailure.NETWORK_UNREACHABLE;
            }
            return m.contains("timed out") ? ConnectionFailure.TIMEOUT : ConnectionFailure.CONNECTION_REFUSED;
        }
        if (lower.contains("refused")) {
            return ConnectionFailure.CONNECTION_REFUSED;
        }
        if (first(error, SSLException.class) != null || lower.contains("ssl") || lower.contains("certificate")) {
            return ConnectionFailure.TLS_FAILURE;
        }
        if (lower.contains("no space left on device")) {
            return ConnectionFailure.DISK_FULL;
        }
        // refused, unreachable, timed out and TLS are told apart above: any other I/O failure under the driver's
        // message ("The connection attempt failed.": EOF, reset, broken pipe) is a connection the other side dropped,
        // e.g. a server that accepted it while shutting down
        if ("08006".equals(state) || lower.contains("connection reset") || first(error, IOException.class) != null) {
            return ConnectionFailure.CONNECTION_LOST;
        }
        return ConnectionFailure.UNKNOWN;
    }

    /**
     * The first exception in the chain that is neither the driver's ({@link SQLException}) nor the network's
     * or TLS's ({@link IOException}, {@link GeneralSecurityException}): thrown by the DataSource itself or
     * a wrapper around it (a pool, a tenant binder), so the diagnosis names it instead of burying it.
     *
     * @param error what {@code getConnection()} or the session setup threw
     * @return that exception, empty when the chain holds only driver and network exceptions
     */
    public static Optional<Throwable> ownException(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (!isDriverLevel(t)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    private static boolean hasDriverCause(Throwable own) {
        for (Throwable t = own.getCause(); t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (isDriverLevel(t)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isDriverLevel(Throwable t) {
        return t instanceof SQLException || t instanceof IOException || t instanceof GeneralSecurityException;
    }

    private static <T extends Throwable> T first(Throwable error, Class<T> type) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
