package io.ampora.dbguard.hikari;

/**
 * Receives a {@link GuardedPool}'s events, e.g. to forward them to an alerting system. Called on the
 * pool's tracker thread (leaks) or the borrowing thread (exhaustion): return quickly and do not throw.
 */
public interface PoolListener {

    /**
     * A connection was held too long, was returned after such a report, or leaked without close().
     *
     * @param report the evidence
     */
    default void onLeak(LeakReport report) {
    }

    /**
     * A borrow timed out; the exception thrown to the caller carries the same diagnosis.
     *
     * @param diagnosis the cause, evidence and remediation
     */
    default void onExhausted(PoolDiagnosis diagnosis) {
    }
}
