package io.ampora.dbguard.rls;

/**
 * A tenant id was refused by the {@link TenantIdValidator} before any SQL ran. The message describes
 * the problem and the id's length but never echoes the id, which may be hostile or large.
 */
public class InvalidTenantIdException extends TenantException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message why the id was refused and what is allowed
     */
    public InvalidTenantIdException(String message) {
        super(message);
    }
}
