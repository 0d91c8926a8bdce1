package io.ampora.dbguard.hikari.internal;

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
 * <p>It is a phantom reference to the wrapper the application got: when the wrapper becomes unreachable
 * while the lease is still active, the reference is enqueued and the tracker reports a certain leak.
 */
final class Lease extends PhantomReference<GuardedConnection> {

    private static final int UNKNOWN_PID = 0;
    private static final int NO_PID = -1;

    private static final AtomicLong IDS = new AtomicLong();

    final Connection proxy;
    final Thread thread;
    final String threadName;
    final long borrowNanos;
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

    Lease(GuardedConnection wrapper, Connection proxy, Throwable site, ReferenceQueue<GuardedConnection> queue) {
        super(wrapper, queue);
        this.proxy = proxy;
        this.thread = Thread.currentThread();
        this.threadName = thread.getName();
        this.borrowNanos = System.nanoTime();
        this.site = site;
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

    long ageNanos(long now) {
        return now - borrowNanos;
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

    /** Marks the lease released with release semantics: a plain store on x86, no fence on the return path. */
    void markReleased() {
        RELEASED.setRelease(this, true);
    }
}
