package io.ampora.dbguard.hikari.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The lease records of one pool, allocated once: borrowing claims a free record and fills it, returning frees it
 * with a release store, so that a borrow allocates nothing. A thread owns the records it took ({@link
 * LeaseSlot#adopt}): its home record (from a hash of its id) or, when another thread owns that, the one it found
 * next, remembered per thread; a borrow claims an owned free record with plain stores, no atomic instruction.
 * A thread that ended leaves its records to the next thread that probes them. When no record can be had (more
 * living threads than records, or many nested borrows) a borrow gets a record of its own in an overflow set.
 */
final class LeaseSlots {

    private final LeaseSlot[] slots;
    private final int mask;
    private final LeaseTracker tracker;
    private final Set<LeaseSlot> overflow = ConcurrentHashMap.newKeySet();
    /** A thread's record away from its home (its home record is another thread's). */
    private final ThreadLocal<LeaseSlot> away = new ThreadLocal<>();

    /**
     * @param maxPoolSize the pool's maximumPoolSize when wrapped
     * @param tracker     the records' hook target
     */
    LeaseSlots(int maxPoolSize, LeaseTracker tracker) {
        // records are owned per thread: room for many more threads than connections (a web server's workers)
        int n = Integer.highestOneBit(Math.max(256, maxPoolSize * 16) - 1) << 1;
        this.slots = new LeaseSlot[n];
        for (int i = 0; i < n; i++) {
            slots[i] = new LeaseSlot(tracker, false);
        }
        this.mask = n - 1;
        this.tracker = tracker;
    }

    private int home(Thread t) {
        return (int) ((t.getId() * 0x9E3779B97F4A7C15L) >>> 40) & mask;
    }

    /** @return a free record claimed for the current thread ({@link LeaseSlot#claimOwned}) */
    LeaseSlot claim() {
        Thread t = Thread.currentThread();
        LeaseSlot home = slots[home(t)];
        return home.claimOwned(t) ? home : claimAway(t);
    }

    /** Not on the common path: the home record is busy (a nested borrow), another thread's, or not adopted yet. */
    private LeaseSlot claimAway(Thread t) {
        LeaseSlot mine = away.get();
        if (mine != null && mine.claimOwned(t)) {
            return mine;
        }
        int start = home(t);
        for (int i = 0; i <= mask; i++) {
            LeaseSlot slot = slots[(start + i) & mask];
            if (slot.adopt(t) && slot.claimOwned(t)) {
                if (i != 0 && (mine == null || !mine.owned(t))) {
                    away.set(slot);
                }
                return slot;
            }
        }
        return claimOverflow();
    }

    private LeaseSlot claimOverflow() {
        LeaseSlot extra = new LeaseSlot(tracker, true);
        extra.claim();
        overflow.add(extra);
        return extra;
    }

    /** @param slot a record just freed: an overflow record leaves the set */
    void released(LeaseSlot slot) {
        if (slot.overflow) {
            overflow.remove(slot);
        }
    }

    /** @param action run on every record (busy or not) of the array and the overflow, without allocating */
    void forEachSlot(Consumer<LeaseSlot> action) {
        for (LeaseSlot slot : slots) {
            action.accept(slot);
        }
        overflow.forEach(action);
    }

    /** @return the leases active now, each read consistently */
    List<Lease> snapshot() {
        List<Lease> result = new ArrayList<>();
        for (LeaseSlot slot : slots) {
            Lease l = slot.snapshot();
            if (l != null) {
                result.add(l);
            }
        }
        for (LeaseSlot slot : overflow) {
            Lease l = slot.snapshot();
            if (l != null) {
                result.add(l);
            }
        }
        return result;
    }

    /** @return how many records were allocated outside the array and are still held */
    int overflowCount() {
        return overflow.size();
    }

    /** @return how many records the array holds */
    int capacity() {
        return slots.length;
    }

    int size() {
        int n = 0;
        for (LeaseSlot slot : slots) {
            if (slot.busy()) {
                n++;
            }
        }
        for (LeaseSlot slot : overflow) {
            if (slot.busy()) {
                n++;
            }
        }
        return n;
    }
}
