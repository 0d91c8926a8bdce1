package io.ampora.dbguard.hikari;

import java.sql.SQLTransientConnectionException;

/**
 * Thrown by {@link GuardedPool#getConnection()} when no connection became available in time. It is
 * still the {@link SQLTransientConnectionException} HikariCP throws (same SQLState, HikariCP's exception
 * as the cause), so retry logic keeps working, and it carries a {@link PoolDiagnosis} naming the cause.
 */
public class PoolExhaustedException extends SQLTransientConnectionException {

    private static final long serialVersionUID = 1L;

    private final transient PoolDiagnosis diagnosis;

    /**
     * @param hikari    what HikariCP threw
     * @param diagnosis why the pool was exhausted
     */
    public PoolExhaustedException(SQLTransientConnectionException hikari, PoolDiagnosis diagnosis) {
        super(hikari.getMessage() + "\n" + diagnosis.message(), sqlState(hikari, diagnosis), hikari.getErrorCode(), hikari);
        this.diagnosis = diagnosis;
        if (hikari.getNextException() != null) {
            setNextException(hikari.getNextException());
        }
    }

    /**
     * HikariCP's SQLState (its last connection failure's); when it has none because the failing attempt is
     * still pending (a database that does not answer) and the diagnosis found the database unreachable,
     * 08001 (unable to connect), so that retry logic keyed on SQLState class 08 sees a connection failure.
     */
    private static String sqlState(SQLTransientConnectionException hikari, PoolDiagnosis diagnosis) {
        if (hikari.getSQLState() == null && diagnosis.cause() == ExhaustionCause.DATABASE_UNREACHABLE) {
            return "08001";
        }
        return hikari.getSQLState();
    }

    /** @return the cause, evidence and remediation */
    public PoolDiagnosis diagnosis() {
        return diagnosis;
    }
}
