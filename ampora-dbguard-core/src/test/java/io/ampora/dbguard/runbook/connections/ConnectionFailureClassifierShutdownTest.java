package io.ampora.dbguard.runbook.connections;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * A server that is stopped while a client connects ends the accepting backend with 57P01 ("terminating
 * connection due to administrator command") rather than 57P03: seen once as an UNKNOWN cause in the
 * readiness test that stops the embedded server on a loaded machine.
 */
class ConnectionFailureClassifierShutdownTest {

    @Test
    void backendTerminatedByAShutdownIsTheServerShuttingDown() {
        PSQLException error = new PSQLException(new ServerErrorMessage(
                "SFATAL\0VFATAL\0C57P01\0Mterminating connection due to administrator command\0\0"));

        assertThat(ConnectionFailureClassifier.classify(error).cause())
                .isEqualTo(ConnectionFailure.SERVER_STARTING_OR_RECOVERING);
    }

    @Test
    void backendEndedByACrashOfAnotherIsTheServerRecovering() {
        PSQLException error = new PSQLException(new ServerErrorMessage(
                "SFATAL\0VFATAL\0C57P02\0Mterminating connection because of crash of another server process\0\0"));

        assertThat(ConnectionFailureClassifier.classify(error).cause())
                .isEqualTo(ConnectionFailure.SERVER_STARTING_OR_RECOVERING);
    }
}
