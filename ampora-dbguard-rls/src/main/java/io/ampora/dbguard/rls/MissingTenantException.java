package io.ampora.dbguard.rls;

/**
 * Runbook 9's trap caught in the application: a statement was about to run on a guarded
 * {@link TenantDataSource} without a tenant in scope. Row Level Security would have answered with an
 * empty result instead of an error; this exception names the caller instead.
 */
public class MissingTenantException extends TenantException {

    private static final long serialVersionUID = 1L;

    private final String caller;

    /**
     * Creates the exception.
     *
     * @param message what is wrong, the evidence and what to do
     * @param caller  the first stack frame outside JDBC, the pool and this library, e.g.
     *                {@code com.acme.OrderRepository.findAll(OrderRepository.java:42)}
     */
    public MissingTenantException(String message, String caller) {
        super(message);
        this.caller = caller;
    }

    /** @return the first application stack frame that ran the statement, as {@code class.method(File:line)} */
    public String caller() {
        return caller;
    }
}
