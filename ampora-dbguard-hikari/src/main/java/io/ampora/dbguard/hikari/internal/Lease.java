package io.ampora.dbguard.hikari.internal;

import io.ampora.dbguard.internal.jdbc.JdbcHook;
import io.ampora.dbguard.internal.jdbc.LayeredConnection;
import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;

/**
 * One borrowed connection: who borrowed it, when, from where, and HikariCP's proxy it runs on.
 *
 * <p>It is a phantom reference to the layer's connection the application got: when that becomes unreachable
 * while the lease is still active, the reference is enqueued and the tracker reports a certain leak. It is also
 * the pool's {@link JdbcHook} on that connection: its close ends the lease.
 */
final class Lease extends PhantomReference<LayeredConnection> implements JdbcHook {

    private static final int UNKNOWN_PID = 0;
    private static final int NO_PID = -1;

    private static final AtomicLong IDS = new AtomicLong();

    final Connection proxy;
    private final LeaseTracker tracker;
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
    volatile boolean reported;
    volatile boolean released;

    private static final java.lang.invoke.VarHandle RELEASED;

    static {
        try {
            RELEASED = java.lang.invoke.MethodHandles.lookup().findVarHandle(Lease.class, "released", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    /** The index in {@link LeaseSlots}, -1 in its overflow set. */
    int slot;
    // No initializer: 0 is UNKNOWN_PID, and writing a volatile field in the constructor costs a fence per borrow.
    private volatile int pid;
    private long id;
    /** When the tracker first saw this lease active (0 = not yet): a lower bound of its age, never on the borrow path. */
    private volatile long seenNanos;

    Lease(LayeredConnection wrapper, LeaseTracker tracker, Throwable site, long borrowNanos, boolean exact,
          ReferenceQueue<LayeredConnection> queue) {
        super(wrapper, queue);
        this.proxy = wrapper.delegate();
        this.tracker = tracker;
        this.thread = Thread.currentThread();
        this.borrowNanos = borrowNanos;
        this.exact = exact;
        this.site = site;
    }

    /** @return the borrowing thread's name, read when asked (not on the borrow path) */
    String threadName() {
        return thread.getName();
    }

    /**
     * The lease number, given on first use so that borrowing does not contend on a shared counter.
     *
     * @return a number unique in this JVM
     */
    synchronized long id() {
        if (id == 0) {
            id = IDS.incrementAndGet();
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
        long seen = seenNanos;
        return seen == 0 ? 0 : now - seen;
    }

    /** @param now the tracker's clock, recorded the first time the lease is seen */
    void seen(long now) {
        if (seenNanos == 0) {
            seenNanos = now;
        }
    }

    /**
     * The PostgreSQL backend PID of the session, read from pgjdbc without a round trip and cached.
     *
     * @return the pid, or -1 when the driver is not pgjdbc or the connection is gone
     */
    int backendPid() {
        int p = pid;
        if (p != UNKNOWN_PID) {
            return p;
        }
        try {
            p = proxy.isWrapperFor(PGConnection.class) ? proxy.unwrap(PGConnection.class).getBackendPID() : NO_PID;
        } catch (SQLException | RuntimeException e) {
            p = NO_PID;
        }
        pid = p;
        return p;
    }

    /** @return whether HikariCP's proxy was closed without our wrapper (statement.getConnection().close()) */
    boolean proxyClosed() {
        try {
            return proxy.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }

    /**
     * The application closes the connection: the lease ends, before HikariCP's proxy is closed, so that the
     * tracker (which drops leases whose proxy it finds closed) cannot remove it at the same time and the owner
     * can take it out of its slot without an atomic instruction ({@link LeaseSlots#removeOwned}).
     */
    @Override
    public void connectionClosing(LayeredConnection connection) {
        tracker.closing(this);
    }

    /** Marks the lease released with release semantics: a plain store on x86, no fence on the return path. */
    void markReleased() {
        RELEASED.setRelease(this, true);
    }
}
