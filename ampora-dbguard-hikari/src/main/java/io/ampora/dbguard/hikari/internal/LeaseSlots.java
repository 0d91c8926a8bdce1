package io.ampora.dbguard.hikari.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The live leases, kept where borrowing costs one CAS and returning one CAS: an array of slots, each thread
 * starting its probe at its own cache line, so that a thread returning and borrowing again reuses its slot
 * without touching anything another thread writes (a ConcurrentHashMap here cost more than HikariCP's own
 * borrow: identity hash codes and a shared size counter). Leases beyond the array (the pool was resized
 * at runtime) go to an overflow set.
 */
final class LeaseSlots {

    private static final int STRIDE = 16;

    private final AtomicReferenceArray<Lease> slots;
    private final int mask;
    private final Set<Lease> overflow = ConcurrentHashMap.newKeySet();

    /** @param maxPoolSize the pool's maximumPoolSize when wrapped */
    LeaseSlots(int maxPoolSize) {
        int n = Integer.highestOneBit(Math.max(64, maxPoolSize * STRIDE) - 1) << 1;
        this.slots = new AtomicReferenceArray<>(n);
        this.mask = n - 1;
    }

    void add(Lease lease) {
        int start = (int) (Thread.currentThread().getId() * STRIDE) & mask;
        for (int i = 0; i <= mask; i++) {
            int index = (start + i) & mask;
            if (slots.get(index) == null) {
                lease.slot = index; // written before the CAS publishes the lease to the scanner
                if (slots.compareAndSet(index, null, lease)) {
                    return;
                }
            }
        }
        lease.slot = -1;
        overflow.add(lease);
    }

    /**
     * Removes a lease; of concurrent removers (the owner closing, the tracker finding it closed or
     * unreachable) exactly one gets {@code true}.
     *
     * @param lease the lease
     * @return whether this call removed it
     */
    boolean remove(Lease lease) {
        int index = lease.slot;
        return index >= 0 ? slots.compareAndSet(index, lease, null) : overflow.remove(lease);
    }

    List<Lease> snapshot() {
        List<Lease> result = new ArrayList<>();
        for (int i = 0; i <= mask; i++) {
            Lease l = slots.get(i);
            if (l != null) {
                result.add(l);
            }
        }
        result.addAll(overflow);
        return result;
    }

    int size() {
        int n = overflow.size();
        for (int i = 0; i <= mask; i++) {
            if (slots.get(i) != null) {
                n++;
            }
        }
        return n;
    }
}
