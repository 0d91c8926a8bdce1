package io.ampora.dbguard.hikari;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A snapshot of one connection currently borrowed from a {@link GuardedPool}.
 *
 * @param id         the lease number, unique within the pool
 * @param backendPid the PostgreSQL backend PID of the session, -1 when unknown (another driver)
 * @param thread     the name of the thread that borrowed it
 * @param borrowedAt when it was borrowed (as precise as {@code age})
 * @param age        how long it has been held so far: exact for sampled borrows; otherwise never below the
 *                   real hold time and over by at most one tick of the tracker (50 ms at most), because
 *                   an unsampled borrow does not read the clock (that read would cost as much as the rest
 *                   of the tracking). Leak reports are decided on a lower bound, so they never come early.
 * @param borrowSite the application frames that borrowed it; empty when this borrow was not sampled
 */
public record LeaseInfo(long id, int backendPid, String thread, Instant borrowedAt, Duration age,
                        List<StackTraceElement> borrowSite) {

    /** Freezes the stack. */
    public LeaseInfo {
        borrowSite = List.copyOf(borrowSite);
    }
}
