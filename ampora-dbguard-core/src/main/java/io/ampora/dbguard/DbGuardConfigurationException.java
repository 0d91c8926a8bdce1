package io.ampora.dbguard;

/**
 * Thrown by {@link DbGuard.Builder#build()} when a setting is wrong: the message names the setting,
 * what was given and what is allowed.
 */
public class DbGuardConfigurationException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message which setting is wrong and what is allowed
     */
    public DbGuardConfigurationException(String message) {
        super(message);
    }

    /**
     * @param message which setting is wrong and what is allowed
     * @param cause   the parse error behind it
     */
    public DbGuardConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
