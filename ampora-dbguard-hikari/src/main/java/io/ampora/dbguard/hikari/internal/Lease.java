package io.ampora.dbguard.hikari.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;

/**
 * One borrowed connection as the tracker read it from its {@link LeaseSlot} (a copy: the record may hold the
 * next borrow by the time this is used): who borrowed it, when, from where, the driver's connection, and
 * HikariCP's proxy on fully tracked borrows.
 */
final class Lease {

    private static final int UNKNOWN_PID = 0;

    final LeaseSlot slot;
    /** The record's generation: this borrow. */
    final long generation;
    final Thread thread;
    /**
     * The clock reading at borrow: exact when {@link #exact}, otherwise the tracker's tick, which is at most
     * one tick interval earlier than the borrow, so that ages computed from it are upper bounds.
     */
    final long borrowNanos;
    /** Whether {@link #borrowNanos} was read from {@link System#nanoTime()} at the borrow itself. */
    final boolean exact;
    /** The borrow-site stack, or null when this borrow was not sampled. */
    final Throwable site;
    /** The driver's connection (what HikariCP's proxy unwraps to), null when it could not be read. */
    final Connection physical;
    /** HikariCP's proxy on fully tracked borrows, null otherwise. */
    final Connection proxy;
    /** When the tracker first saw this lease active (0 = not yet): a lower bound of its age. */
    private final long seenNanos;
    private int pid = UNKNOWN_PID;
    private long id;

    Lease(LeaseSlot slot, long generation, Thread thread, long borrowNanos, boolean exact, Throwable site,
          Connection physical, Connection proxy, long seenNanos) {
        this.slot = slot;
        this.generation = generation;
        this.thread = thread;
        this.borrowNanos = borrowNanos;
        this.exact = exact;
        this.site = site;
        this.physical = physical;
        this.proxy = proxy;
        this.seenNanos = seenNanos;
    }

    /** @return the borrowing thread's name, read when asked (not on the borrow path) */
    String threadName() {
        return thread.getName();
    }

    /** @return a number unique in this JVM, given on first use so that borrowing does not contend on a counter */
    long id() {
        if (id == 0) {
            id = slot.id(generation);
        }
        return id;
    }

    /** @return when the connection was borrowed, derived from the monotonic borrow time */
    Instant borrowedAt() {
        return Instant.now().minusNanos(System.nanoTime() - borrowNanos);
    }

    /**
     * @param now the current {@link System#nanoTime()}
     * @return how long the connection has been held: exact, or over by at most one tick interval
     */
    long ageNanos(long now) {
        return now - borrowNanos;
    }

    /**
     * The age this lease has certainly reached, for decisions that must not fire early (a leak report, a
     * LEAK diagnosis): exact when the borrow read the clock, otherwise measured from when the tracker first
     * saw the lease, 0 before that.
     *
     * @param now the current {@link System#nanoTime()}
     * @return a lower bound of the age
     */
    long minAgeNanos(long now) {
        if (exact) {
            return now - borrowNanos;
        }
        return seenNanos == 0 ? 0 : now - seenNanos;
    }

    /**
     * The PostgreSQL backend PID of the session, read from pgjdbc without a round trip and cached.
     *
     * @return the pid, or -1 when the driver is not pgjdbc or the connection is gone
     */
    int backendPid() {
        if (pid == UNKNOWN_PID) {
            pid = LeaseSlot.pid(physical);
        }
        return pid;
    }

    /** @return whether this lease still holds its record (not closed, not ended by the tracker) */
    boolean active() {
        return slot.holds(generation);
    }

    /**
     * @return whether HikariCP's proxy was closed without the layer's connection (through {@code unwrap});
     * known on fully tracked borrows only
     */
    boolean proxyClosed() {
        if (proxy == null) {
            return false;
        }
        try {
            return proxy.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }
}
