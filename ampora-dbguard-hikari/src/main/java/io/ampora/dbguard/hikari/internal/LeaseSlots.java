package io.ampora.dbguard.hikari.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The lease records of one pool, allocated once: borrowing claims a free record with one CAS and fills it,
 * returning frees it with a release store, so that a borrow allocates nothing. Each thread starts its probe
 * at its own record, {@value #STRIDE} records from the next thread's (the records were allocated in order,
 * so threads do not write the same cache lines), and a thread returning and borrowing again reuses its
 * record. When every record is taken (the pool was resized at runtime, or many threads collide) a borrow
 * gets a record of its own in an overflow set.
 */
final class LeaseSlots {

    private static final int STRIDE = 16;

    private final LeaseSlot[] slots;
    private final int mask;
    private final LeaseTracker tracker;
    private final Set<LeaseSlot> overflow = ConcurrentHashMap.newKeySet();

    /**
     * @param maxPoolSize the pool's maximumPoolSize when wrapped
     * @param tracker     the records' hook target
     */
    LeaseSlots(int maxPoolSize, LeaseTracker tracker) {
        int n = Integer.highestOneBit(Math.max(64, maxPoolSize * STRIDE) - 1) << 1;
        this.slots = new LeaseSlot[n];
        for (int i = 0; i < n; i++) {
            slots[i] = new LeaseSlot(tracker, false);
        }
        this.mask = n - 1;
        this.tracker = tracker;
    }

    /** @return a free record claimed for the current thread ({@link LeaseSlot#claim()}) */
    LeaseSlot claim() {
        int start = (int) (Thread.currentThread().getId() * STRIDE) & mask;
        for (int i = 0; i <= mask; i++) {
            LeaseSlot slot = slots[(start + i) & mask];
            if (slot.claim()) {
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
