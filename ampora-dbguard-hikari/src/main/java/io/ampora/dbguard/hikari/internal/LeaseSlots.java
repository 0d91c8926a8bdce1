package io.ampora.dbguard.hikari.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * The live leases, kept where borrowing costs one CAS and returning one CAS: an array of slots, each thread
 * starting its probe at its own cache line, so that a thread returning and borrowing again reuses its slot
 * without touching anything another thread writes (a ConcurrentHashMap here cost more than HikariCP's own
 * borrow: identity hash codes and a shared size counter). Leases beyond the array (the pool was resized
 * at runtime) go to an overflow set.
 *
 * <p>The slots in use are padded by a cache line on both sides: every access reads the array's header
 * (length and type), and a thread writing a slot on the header's line made each borrow of every other
 * thread miss the cache (measured: 4 threads fell from 88 % to 64 % of plain HikariCP's throughput in
 * the benchmark runs where that happened).
 */
final class LeaseSlots {

    private static final int STRIDE = 16;
    /** Unused slots before and after the used ones: at least one cache line (16 compressed references). */
    private static final int PAD = 16;

    private final AtomicReferenceArray<Lease> slots;
    private final int mask;
    private final Set<Lease> overflow = ConcurrentHashMap.newKeySet();

    /** @param maxPoolSize the pool's maximumPoolSize when wrapped */
    LeaseSlots(int maxPoolSize) {
        int n = Integer.highestOneBit(Math.max(64, maxPoolSize * STRIDE) - 1) << 1;
        this.slots = new AtomicReferenceArray<>(PAD + n + PAD);
        this.mask = n - 1;
    }

    void add(Lease lease) {
        int start = (int) (Thread.currentThread().getId() * STRIDE) & mask;
        for (int i = 0; i <= mask; i++) {
            int index = PAD + ((start + i) & mask);
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

    /**
     * Removes a lease on its owner's close, which runs before HikariCP's proxy is closed: the tracker removes a
     * lease only when it finds the proxy closed or the connection unreachable, neither of which can happen
     * then, so a release store does instead of a CAS (the atomic instruction cost as much as the rest of the
     * close). The one exception: the application closed HikariCP's proxy itself (through {@code unwrap})
     * and the tracker dropped the lease in the nanoseconds between the check and the store below; then a
     * lease another thread just put in the same slot would be dropped from tracking (not reported as a leak).
     *
     * @param lease the lease
     * @return whether this call removed it
     */
    boolean removeOwned(Lease lease) {
        int index = lease.slot;
        if (index < 0) {
            return overflow.remove(lease);
        }
        if (slots.getAcquire(index) != lease) {
            return false;
        }
        slots.setRelease(index, null);
        return true;
    }

    /** @param action run on every lease now in a slot (not the overflow), without allocating */
    void forEach(Consumer<Lease> action) {
        for (int i = PAD; i <= PAD + mask; i++) {
            Lease l = slots.get(i);
            if (l != null) {
                action.accept(l);
            }
        }
        overflow.forEach(action);
    }

    List<Lease> snapshot() {
        List<Lease> result = new ArrayList<>();
        for (int i = PAD; i <= PAD + mask; i++) {
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
        for (int i = PAD; i <= PAD + mask; i++) {
            if (slots.get(i) != null) {
                n++;
            }
        }
        return n;
    }
}
