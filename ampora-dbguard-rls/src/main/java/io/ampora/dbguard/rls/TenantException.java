package io.ampora.dbguard.rls;

/**
 * Tenant scoping was used in a way that would put tenant isolation at risk: a different tenant nested
 * inside another, a tenant switched in the middle of a transaction, or an autocommit connection on a
 * strict {@link TenantDataSource}. Thrown before any SQL runs, so nothing reached the database.
 *
 * <p>Unchecked on purpose: it signals a programming error, it passes through JDBC-based frameworks
 * unchanged, and no caller should catch and continue.
 */
public class TenantException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong, the evidence and what to do
     */
    public TenantException(String message) {
        super(message);
    }
}
