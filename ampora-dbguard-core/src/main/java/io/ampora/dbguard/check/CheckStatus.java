package io.ampora.dbguard.check;

/**
 * The verdict of one check, ordered from best to worst so a report's status is the worst of its checks.
 *
 * <p>{@link #SKIP} means "does not apply here" (no replica configured, extension absent) and never
 * makes a report red. {@link #UNKNOWN} means "could not tell" (timeout, missing privilege, error): the
 * runner counts it as a failure only when the guard is configured to.
 */
public enum CheckStatus {
    /** The check looked and found nothing wrong. */
    PASS,
    /** The check does not apply to this database; the summary says why. */
    SKIP,
    /** Something needs attention soon, but the application works. */
    WARN,
    /** The check could not tell (timeout, no privilege, error); the summary says why. */
    UNKNOWN,
    /** Something is broken or about to break; the remediation says what to do. */
    FAIL;

    /**
     * Returns the worse of two statuses for the purpose of an overall report status.
     *
     * @param other the other status
     * @return the status with the higher severity
     */
    public CheckStatus worse(CheckStatus other) {
        return other.ordinal() > ordinal() ? other : this;
    }
}
