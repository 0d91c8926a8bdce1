package io.ampora.dbguard.hikari.internal;

/**
 * One session as {@code pg_stat_activity} shows it.
 *
 * @param pid           the backend pid
 * @param state         {@code active}, {@code idle}, {@code idle in transaction}, ...; empty when hidden
 * @param query         the current or last query; empty when hidden
 * @param queryMillis   how long the current (or last) query has been running
 * @param xactMillis    how long the open transaction has been running, 0 when none
 * @param waitEventType the wait event type, e.g. {@code Lock}, {@code Timeout}; empty when not waiting
 * @param waitEvent     the wait event
 */
public record SessionActivity(int pid, String state, String query, long queryMillis, long xactMillis,
                              String waitEventType, String waitEvent) {

    /** @return whether the database is working for this session (running a query or waiting for a lock) */
    public boolean busy() {
        return "active".equals(state);
    }

    /** @return whether the session is not using the database (idle, or idle in an open transaction) */
    public boolean unused() {
        return state.startsWith("idle");
    }
}
