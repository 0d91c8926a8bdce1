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
        super(hikari.getMessage() + "\n" + diagnosis.message(), hikari.getSQLState(), hikari.getErrorCode(), hikari);
        this.diagnosis = diagnosis;
        if (hikari.getNextException() != null) {
            setNextException(hikari.getNextException());
        }
    }

    /** @return the cause, evidence and remediation */
    public PoolDiagnosis diagnosis() {
        return diagnosis;
    }
}
