package io.ampora.dbguard.check;

import java.util.Optional;

/**
 * The guard-wide options every check may consult.
 *
 * @param applicationName  the {@code application_name} of the application's own sessions, when known;
 *                         checks use it to tell them apart from others (a forgotten psql)
 * @param production       whether the guard runs for production: some warnings become failures
 *                         (certificate validation that is off, for one)
 * @param connection       how the application connects to the primary, secrets removed
 * @param replicaConnection how it connects to the read replica, {@link ConnectionInfo#unknown()} if none
 */
public record GuardOptions(
        Optional<String> applicationName, boolean production, ConnectionInfo connection, ConnectionInfo replicaConnection) {

    /** The {@code application_name} the guard's own sessions carry, so checks can leave them out. */
    public static final String GUARD_APPLICATION_NAME = "ampora-dbguard";
}
