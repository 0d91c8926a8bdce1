package io.ampora.dbguard.monitor;

import io.ampora.dbguard.check.CheckScope;
import java.time.Duration;
import java.time.Instant;

/**
 * Where a monitor's current result of one check comes from: which instance ran it, when, and why this
 * instance did or did not run it itself. With fleet coordination a database-wide result is usually run by
 * another instance; {@link DbGuardMonitor#origin(String)} and the health endpoint's report say so.
 *
 * @param checkId         the check
 * @param scope           what the check declared
 * @param source          how this monitor got the result
 * @param ranBy           the instance that ran it (this one's name when it ran here)
 * @param ranAt           when that run ended
 * @param interval        the interval of the check's next run, back-off included (the runner's, for a
 *                        result heard from the fleet)
 * @param note            why, in one sentence: the fallback's reason, the back-off, or empty
 * @param findingsOmitted findings the runner had that did not fit into the fleet message (0 when complete)
 */
public record ResultOrigin(String checkId, CheckScope scope, Source source, String ranBy, Instant ranAt,
                           Duration interval, String note, int findingsOmitted) {

    /** How a monitor got a check's result. */
    public enum Source {
        /** Ran on this instance, without coordination (a per-instance check, or no fleet configured). */
        THIS_INSTANCE,
        /** This instance was elected to run it for the fleet and shared the result. */
        ELECTED,
        /** Another instance of the fleet ran it and shared the result. */
        FLEET,
        /** The fleet's result could not be had (channel down, or nothing heard within two intervals): ran here. */
        FALLBACK
    }

    /**
     * The result's age.
     *
     * @param now the current time
     * @return how long ago the run ended
     */
    public Duration age(Instant now) {
        Duration age = Duration.between(ranAt, now);
        return age.isNegative() ? Duration.ZERO : age;
    }
}
