package io.ampora.dbguard.hikari.internal;

import io.ampora.dbguard.internal.jdbc.JdbcHook;
import io.ampora.dbguard.internal.jdbc.LayeredConnection;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;

/**
 * One reusable lease record: a slot of {@link LeaseSlots}, filled at each borrow (thread, borrow time, sampled
 * site, the driver's connection) and freed at close. It is the pool's {@link JdbcHook} on every connection
 * borrowed into it, so that a borrow allocates nothing of the tracker's own and the layer's connection and
 * HikariCP's proxy are not referenced from the heap (the JIT may scalar-replace them).
 *
 * <p>The record is guarded by {@link #state}: the generation (one per borrow) and the phase (free, claimed,
 * busy). A record is owned by one thread at a time ({@link #adopt}, a CAS, once; a record whose owner ended is
 * adopted again): only its owner claims it when free, with a plain store (an atomic instruction on every borrow
 * cost about a fifth of a borrow on the benchmark machine), writes the fields and publishes them with a release
 * store that starts a new generation; its close (on any thread) frees the record with a release store. The tracker's threads
 * read it like a sequence lock ({@link #snapshot}): state, fields, state again, and ignore a record that changed
 * in between. Only two things end a lease: the owner's close, and the tracker when the layer's connection
 * became unreachable (its phantom reference, on fully tracked borrows). Neither can happen while the other
 * may, so the close needs no check that the record still holds its borrow (a record is never freed, and so
 * never reused, while its connection may still be closed).
 */
final class LeaseSlot implements JdbcHook {

    static final long FREE = 0;
    static final long CLAIMED = 1;
    static final long BUSY = 2;
    private static final long PHASE = 3;

    private static final AtomicLong IDS = new AtomicLong();
    private static final VarHandle STATE;
    private static final VarHandle REF;
    private static final VarHandle OWNER;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(LeaseSlot.class, "state", long.class);
            REF = MethodHandles.lookup().findVarHandle(LeaseSlot.class, "ref", LeaseRef.class);
            OWNER = MethodHandles.lookup().findVarHandle(LeaseSlot.class, "owner", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final LeaseTracker tracker;
    /** Whether this record is outside the slot array (allocated for one borrow when every slot was taken). */
    final boolean overflow;

    /** generation << 2 | phase. */
    private volatile long state;
    /** The thread that alone may claim the record while it lives ({@link #claimOwned}); null until adopted. */
    private volatile Thread owner;

    // written by the owner between claim and publish, read by others only through snapshot()
    private Thread thread;
    private long borrowNanos;
    private boolean exact;
    private Throwable site;
    private Connection physical;
    /** The phantom reference of a fully tracked borrow, null otherwise. */
    private LeaseRef ref;

    // written by the tracker's scanner thread only
    private volatile long seenGeneration;
    private volatile long seenNanos;
    private volatile long reportedGeneration;

    /** Borrows into this record until the next sampled one: the owner's alone, like the record. */
    private int untilSample;
    private long sampledTick = Long.MIN_VALUE;

    // the lease number, given on first use (not on the borrow path)
    private long idGeneration;
    private long id;

    LeaseSlot(LeaseTracker tracker, boolean overflow) {
        this.tracker = tracker;
        this.overflow = overflow;
    }

    static long generation(long state) {
        return state >>> 2;
    }

    /**
     * Takes the record for the current thread when it is free and unowned (or owned by a thread that ended).
     *
     * @return whether the current thread now holds it claimed
     */
    boolean claim() {
        Thread t = Thread.currentThread();
        return adopt(t) && claimOwned(t);
    }

    /**
     * Claims the record for its owner: no atomic instruction, because only the owner moves an owned record out of
     * {@link #FREE} (a close on another thread, or the tracker, only moves it back to free).
     *
     * @param t the current thread
     * @return whether {@code t} owns the record and it was free: it is claimed now
     */
    boolean claimOwned(Thread t) {
        if (owner != t) {
            return false;
        }
        long s = (long) STATE.getAcquire(this);
        if ((s & PHASE) != FREE) {
            return false;
        }
        STATE.setOpaque(this, s | CLAIMED);
        return true;
    }

    /**
     * @param t a thread
     * @return whether it owns the record
     */
    boolean owned(Thread t) {
        return owner == t;
    }

    /**
     * Makes the current thread the record's owner when nobody owns it or its owner ended (a thread that ended
     * cannot claim it any more). Ownership is kept across borrows, so that the owner's next borrow claims it
     * without a CAS.
     *
     * @param t the current thread
     * @return whether {@code t} owns the record now
     */
    boolean adopt(Thread t) {
        Thread o = owner;
        if (o == t) {
            return true;
        }
        if (o != null && o.isAlive()) {
            return false;
        }
        return OWNER.compareAndSet(this, o, t);
    }

    /**
     * Counts a borrow into this record towards the next sampled one: on average 1 in {@code every}, each gap drawn
     * at random between 1 and {@code 2 * every - 1} so that no borrow pattern falls between samples for ever (and
     * the random draw is paid once per sample, not per borrow).
     *
     * @param every the sampling period ({@link io.ampora.dbguard.hikari.PoolGuardConfig#sampleEvery()})
     * @return whether this borrow is sampled
     */
    boolean sampleDue(int every, long tick) {
        int left = untilSample - 1;
        if (left > 0) {
            untilSample = left;
            return false;
        }
        if (every == 1) {
            untilSample = 1;
            return true;
        }
        // left is -1 on the record's first borrow: not sampled, the first gap is drawn
        untilSample = (int) Math.min(Integer.MAX_VALUE, 1 + ThreadLocalRandom.current().nextLong(2L * every - 1));
        // at most one stack per record per tracker tick: a thread borrowing millions of times a second would take
        // tens of thousands of stacks a second at 1 in 256, each some microseconds; a slower one is not limited
        if (left != 0 || tick == sampledTick) {
            return false;
        }
        sampledTick = tick;
        return true;
    }

    /** @return the generation the next {@link #fill} publishes, for the owner of a claimed record */
    long nextGeneration() {
        return generation((long) STATE.getOpaque(this)) + 1;
    }

    /** Fills a record the caller claimed and publishes it as the next generation. */
    void fill(Thread thread, long borrowNanos, boolean exact, Throwable site, Connection physical, LeaseRef ref) {
        long generation = nextGeneration();
        // a reference store into this long-lived record costs a GC write barrier: store only what changed (a
        // thread borrowing again usually gets its record and HikariCP's thread-local connection back)
        if (this.thread != thread) {
            this.thread = thread;
        }
        this.borrowNanos = borrowNanos;
        this.exact = exact;
        if (site != null || this.site != null) { // a record the tracker freed may still hold the last site
            this.site = site;
        }
        if (this.physical != physical) {
            this.physical = physical;
        }
        if (ref != null || this.ref != null) {
            this.ref = ref;
        }
        STATE.setRelease(this, generation << 2 | BUSY);
    }

    /**
     * The application closes a connection borrowed into this record (once: the layer's connection calls its
     * hooks on the first close only): the lease ends. The record still holds this borrow: the tracker frees
     * a record only when its connection became unreachable.
     */
    @Override
    public void connectionClosing(LayeredConnection connection) {
        long s = (long) STATE.getAcquire(this);
        if ((s & PHASE) == BUSY) {
            tracker.closing(this, s);
        }
    }

    /** Frees the record for its owner: a release store, no atomic instruction (see {@link LeaseSlots#release}). */
    void freeOwned(long busy) {
        // only a fully tracked borrow set these; the thread and the driver's connection stay until the next fill
        // (a record keeps at most one of each reachable: bounded by the record count)
        if (ref != null) {
            ref = null;
        }
        if (site != null) {
            site = null;
        }
        STATE.setRelease(this, busy & ~PHASE);
    }

    /**
     * Frees the record for the tracker, only while it still holds that generation.
     *
     * @return whether this call freed it
     */
    boolean freeIf(long generation) {
        long busy = generation << 2 | BUSY;
        if ((long) STATE.getAcquire(this) != busy) {
            return false;
        }
        LeaseRef r = ref;
        if (!STATE.compareAndSet(this, busy, generation << 2 | FREE)) {
            return false;
        }
        // the owner may claim it again right now: clear only what is still ours
        REF.compareAndSet(this, r, null);
        return true;
    }

    /** @return whether the record holds a lease now */
    boolean busy() {
        return ((long) STATE.getAcquire(this) & PHASE) == BUSY;
    }

    /** @return whether the record still holds the lease of that generation */
    boolean holds(long generation) {
        return (long) STATE.getAcquire(this) == (generation << 2 | BUSY);
    }

    /** @return the borrow time of the lease the owner is closing (read before {@link #freeOwned}) */
    long borrowNanos() {
        return borrowNanos;
    }

    /** @return whether the lease of this generation was reported held too long */
    boolean reported(long generation) {
        return reportedGeneration == generation;
    }

    void markReported(long generation) {
        reportedGeneration = generation;
    }

    /** @param now the tracker's clock, recorded the first time the scanner sees this generation busy */
    void seen(long now) {
        long s = (long) STATE.getAcquire(this);
        if ((s & PHASE) == BUSY && seenGeneration != generation(s)) {
            seenNanos = now;
            seenGeneration = generation(s);
        }
    }

    /**
     * Reads the record's lease consistently.
     *
     * @return the lease it holds now, or null when it is free or changed while being read
     */
    Lease snapshot() {
        long s1 = (long) STATE.getAcquire(this);
        if ((s1 & PHASE) != BUSY) {
            return null;
        }
        Thread t = thread;
        long at = borrowNanos;
        boolean ex = exact;
        Throwable st = site;
        Connection phys = physical;
        LeaseRef r = ref;
        VarHandle.acquireFence();
        if ((long) STATE.getOpaque(this) != s1 || t == null) {
            return null;
        }
        long generation = generation(s1);
        long seen = seenGeneration == generation ? seenNanos : 0;
        return new Lease(this, generation, t, at, ex, st, phys, r == null ? null : r.proxy, seen);
    }

    /**
     * @param generation a generation this record held
     * @return the lease number of that generation, given on first use (a copy read before the record moved on
     * to a later generation that was numbered already gets a number of its own)
     */
    synchronized long id(long generation) {
        if (generation > idGeneration) {
            idGeneration = generation;
            id = IDS.incrementAndGet();
        } else if (generation < idGeneration) {
            return IDS.incrementAndGet();
        }
        return id;
    }

    /** @return the backend pid of the driver's connection, -1 when not pgjdbc or gone */
    static int pid(Connection physical) {
        if (physical == null) {
            return -1;
        }
        try {
            return physical.isWrapperFor(PGConnection.class) ? physical.unwrap(PGConnection.class).getBackendPID() : -1;
        } catch (SQLException | RuntimeException e) {
            return -1;
        }
    }
}
