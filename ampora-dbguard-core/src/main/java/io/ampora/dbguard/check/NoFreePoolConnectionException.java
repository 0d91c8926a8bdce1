package io.ampora.dbguard.check;

import java.sql.SQLTransientConnectionException;

/**
 * The guard's DataSource is a pool that had no free connection for the guard: every connection is borrowed by
 * the application. The database may be fine; runbook 4, not runbook 1. Found in
 * {@link ConnectionAttempt#error()} when the guard could not get a connection and the pool said why (the
 * HikariCP module reads HikariCP's pools and {@code GuardedPool}s).
 */
public final class NoFreePoolConnectionException extends SQLTransientConnectionException {

    private static final long serialVersionUID = 1L;

    private final String pool;
    private final int borrowed;
    private final int total;
    private final int max;
    private final int waiting;

    /**
     * @param pool     the pool's name
     * @param borrowed connections borrowed now
     * @param total    connections open now
     * @param max      the pool's maximum size
     * @param waiting  threads waiting for a connection now
     * @param cause    what the guard's attempt ended with, or null when the guard stopped waiting
     */
    public NoFreePoolConnectionException(String pool, int borrowed, int total, int max, int waiting, Throwable cause) {
        super("Pool '" + pool + "': " + borrowed + " of " + total + " connections borrowed (maximum " + max + "), "
                + waiting + " thread" + (waiting == 1 ? "" : "s") + " waiting", "08001", cause);
        this.pool = pool;
        this.borrowed = borrowed;
        this.total = total;
        this.max = max;
        this.waiting = waiting;
    }

    /** @return the pool's name */
    public String pool() {
        return pool;
    }

    /** @return connections borrowed when the guard gave up */
    public int borrowed() {
        return borrowed;
    }

    /** @return connections open then */
    public int total() {
        return total;
    }

    /** @return the pool's maximum size */
    public int max() {
        return max;
    }

    /** @return threads waiting for a connection then */
    public int waiting() {
        return waiting;
    }
}
