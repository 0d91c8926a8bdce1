package io.ampora.dbguard.flyway;

import java.util.List;

/**
 * {@link SafeMigrator#migrate(javax.sql.DataSource)} gave up: every attempt timed out waiting for a lock.
 * The message names, per attempt, the migration and the sessions that held the lock (pid, application,
 * user, state, transaction age, query), so the deploy log says whom to end or wait for.
 */
public final class MigrationLockTimeoutException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final List<String> attempts;

    /**
     * @param message  the summary with the evidence
     * @param attempts one line of evidence per attempt
     * @param cause    the last Flyway failure
     */
    public MigrationLockTimeoutException(String message, List<String> attempts, Throwable cause) {
        super(message, cause);
        this.attempts = List.copyOf(attempts);
    }

    /** @return one line of evidence per timed-out attempt: migration, lock_timeout, blockers */
    public List<String> attempts() {
        return attempts;
    }
}
