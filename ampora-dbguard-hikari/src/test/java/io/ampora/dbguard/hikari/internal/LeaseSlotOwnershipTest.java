package io.ampora.dbguard.hikari.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Lease records are owned per thread so that a borrow claims one without an atomic instruction: a thread gets its
 * record back on every borrow, nested borrows get distinct records, a living thread's records are never another
 * thread's, and the records of a thread that ended are taken over, so threads coming and going (a web server's
 * workers, virtual threads) never exhaust them.
 */
class LeaseSlotOwnershipTest {

    @Test
    void threadBorrowingAgainClaimsTheRecordItOwnsAlready() {
        LeaseSlots slots = new LeaseSlots(8, null);
        LeaseSlot first = borrow(slots);
        free(slots, first);
        LeaseSlot again = borrow(slots);
        assertThat(again).isSameAs(first);
        assertThat(again.owned(Thread.currentThread())).isTrue();
        free(slots, again);
    }

    @Test
    void nestedBorrowsOfOneThreadGetDistinctRecords() {
        LeaseSlots slots = new LeaseSlots(8, null);
        Set<LeaseSlot> held = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < 20; i++) {
            held.add(borrow(slots));
        }
        assertThat(held).hasSize(20);
        assertThat(slots.size()).isEqualTo(20);
        held.forEach(slot -> free(slots, slot));
        assertThat(slots.size()).isZero();
    }

    @Test
    void livingThreadsRecordIsNeverClaimedByAnotherThreadEvenWhenFree() throws Exception {
        LeaseSlots slots = new LeaseSlots(8, null);
        AtomicReference<LeaseSlot> owners = new AtomicReference<>();
        CountDownLatch borrowed = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread other = new Thread(() -> {
            LeaseSlot slot = borrow(slots);
            free(slots, slot); // free, but still owned by this living thread
            owners.set(slot);
            borrowed.countDown();
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        other.start();
        borrowed.await();
        try {
            List<LeaseSlot> mine = new ArrayList<>();
            for (int i = 0; i < slots.capacity() + 10; i++) { // every record there is, and then some
                mine.add(borrow(slots));
            }
            assertThat(mine).doesNotContain(owners.get());
            assertThat(slots.overflowCount()).as("the rest comes from the overflow").isEqualTo(11);
            mine.forEach(slot -> free(slots, slot));
            assertThat(slots.overflowCount()).isZero();
        } finally {
            done.countDown();
            other.join();
        }
    }

    @Test
    void recordsOfThreadsThatEndedAreTakenOverSoThreadChurnNeverExhaustsThem() throws Exception {
        LeaseSlots slots = new LeaseSlots(8, null);
        for (int i = 0; i < slots.capacity() * 2; i++) { // more short-lived threads than records
            Thread t = new Thread(() -> {
                LeaseSlot a = borrow(slots);
                LeaseSlot b = borrow(slots);
                free(slots, a);
                free(slots, b);
            });
            t.start();
            t.join();
        }
        List<LeaseSlot> mine = new ArrayList<>();
        for (int i = 0; i < slots.capacity(); i++) {
            mine.add(borrow(slots));
        }
        assertThat(slots.overflowCount()).as("every record of the ended threads was taken over").isZero();
        mine.forEach(slot -> free(slots, slot));
    }

    @Test
    void sampledBorrowsComeOnAverageOneInSampleEveryAndNeverOnARecordsFirstBorrow() {
        LeaseSlot slot = new LeaseSlot(null, false);
        assertThat(slot.sampleDue(256, 0)).as("a record's first borrow").isFalse();
        int sampled = 0;
        for (int i = 0; i < 256 * 1000; i++) {
            if (slot.sampleDue(256, i)) { // a new tracker tick every borrow: the cap never applies
                sampled++;
            }
        }
        assertThat(sampled).as("1 in 256 of 256,000 (gaps drawn from 1..511: sd ~18)").isBetween(900, 1100);

        LeaseSlot every = new LeaseSlot(null, false);
        for (int i = 0; i < 10; i++) {
            assertThat(every.sampleDue(1, 7)).as("sampleEvery(1) samples every borrow, whatever the tick").isTrue();
        }
    }

    @Test
    void aRecordTakesAtMostOneStackPerTrackerTick() {
        LeaseSlot slot = new LeaseSlot(null, false);
        int sampled = 0;
        for (int i = 0; i < 256 * 1000; i++) {
            if (slot.sampleDue(256, i / 25_600)) { // 10 ticks, each 25,600 borrows long (100 sample gaps)
                sampled++;
            }
        }
        assertThat(sampled).as("one per tick at most, and one in each tick that had a due borrow").isEqualTo(10);
    }

    private static LeaseSlot borrow(LeaseSlots slots) {
        LeaseSlot slot = slots.claim();
        slot.fill(Thread.currentThread(), System.nanoTime(), false, null, null, null);
        return slot;
    }

    /** What the tracker does when the owner closes: free the record, and let an overflow record go. */
    private static void free(LeaseSlots slots, LeaseSlot slot) {
        slot.freeOwned(slot.nextGeneration() - 1 << 2 | LeaseSlot.BUSY);
        slots.released(slot);
    }
}
