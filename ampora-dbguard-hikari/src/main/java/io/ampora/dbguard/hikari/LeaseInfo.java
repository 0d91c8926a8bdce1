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
 * @param borrowedAt when it was borrowed
 * @param age        how long it has been held so far
 * @param borrowSite the application frames that borrowed it; empty when this borrow was not sampled
 */
public record LeaseInfo(long id, int backendPid, String thread, Instant borrowedAt, Duration age,
                        List<StackTraceElement> borrowSite) {

    /** Freezes the stack. */
    public LeaseInfo {
        borrowSite = List.copyOf(borrowSite);
    }
}
