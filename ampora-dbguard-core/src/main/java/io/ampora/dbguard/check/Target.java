package io.ampora.dbguard.check;

/**
 * Which server a check's session is opened on.
 *
 * <p>Most checks look at the primary. Checks of {@link #REPLICA} run on the read replica configured with
 * {@code DbGuard.builder().replicaDataSource(...)} and are skipped when none is configured.
 */
public enum Target {
    /** The application's primary database. */
    PRIMARY,
    /** The configured read replica (the runbook's {@code ConnectionStrings:AmporaRead}). */
    REPLICA
}
