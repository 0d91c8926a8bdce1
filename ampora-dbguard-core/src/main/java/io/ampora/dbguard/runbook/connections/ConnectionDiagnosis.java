package io.ampora.dbguard.runbook.connections;

/**
 * A classified connection failure: the cause, the driver's own words and its SQLState.
 *
 * @param cause         the runbook cause
 * @param driverMessage the driver's message, verbatim (mask it before showing it)
 * @param sqlState      the SQLState, empty when the driver gave none
 */
public record ConnectionDiagnosis(ConnectionFailure cause, String driverMessage, String sqlState) {

    /** Replaces nulls. */
    public ConnectionDiagnosis {
        driverMessage = driverMessage == null ? "" : driverMessage;
        sqlState = sqlState == null ? "" : sqlState;
    }
}
