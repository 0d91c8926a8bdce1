package io.ampora.dbguard.hikari.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The two ages of a lease: the shown one (from the borrow tick, never below the real hold time) and the
 * certain one (what leak decisions use, never above it). A tick that went stale, as when the scanner
 * thread was descheduled, must not make a fresh lease look old enough to report.
 */
@WithPostgres
class LeaseAgeTest {

    @Test
    void staleTickOverstatesTheShownAgeButNeverTheCertainOne(TestDatabase db) throws Exception {
        try (Connection proxy = db.dataSource().getConnection()) {
            long borrowedAt = System.nanoTime();
            long staleTick = borrowedAt - TimeUnit.SECONDS.toNanos(2);
            LeaseSlot slot = borrowed(proxy, staleTick, false);
            Lease lease = slot.snapshot();

            long now = System.nanoTime();
            assertThat(lease.ageNanos(now)).isGreaterThanOrEqualTo(now - borrowedAt + TimeUnit.SECONDS.toNanos(2));
            assertThat(lease.minAgeNanos(now)).as("not seen by the scanner yet").isZero();

            slot.seen(System.nanoTime());
            Thread.sleep(20);
            long later = System.nanoTime();
            assertThat(slot.snapshot().minAgeNanos(later)).isBetween(TimeUnit.MILLISECONDS.toNanos(20), later - borrowedAt);

            slot.seen(later);
            assertThat(slot.snapshot().minAgeNanos(later)).as("first sight is kept").isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    @Test
    void exactBorrowTimeIsUsedForBothAges(TestDatabase db) throws Exception {
        try (Connection proxy = db.dataSource().getConnection()) {
            long borrowedAt = System.nanoTime();
            Lease lease = borrowed(proxy, borrowedAt, true).snapshot();
            Thread.sleep(10);
            long now = System.nanoTime();

            assertThat(lease.minAgeNanos(now)).isEqualTo(lease.ageNanos(now)).isEqualTo(now - borrowedAt);
        }
    }

    @Test
    void aReusedRecordForgetsThePreviousBorrowsSightingAndNumber(TestDatabase db) throws Exception {
        try (Connection proxy = db.dataSource().getConnection()) {
            LeaseSlot slot = borrowed(proxy, System.nanoTime(), false);
            slot.seen(System.nanoTime());
            Lease first = slot.snapshot();
            long firstId = first.id();
            slot.freeOwned(slot.nextGeneration() - 1 << 2 | LeaseSlot.BUSY);
            assertThat(slot.snapshot()).as("a free record holds no lease").isNull();
            assertThat(first.active()).isFalse();

            assertThat(slot.claim()).isTrue();
            slot.fill(Thread.currentThread(), System.nanoTime(), false, null, LeaseTracker.physicalOf(proxy), null);
            Lease second = slot.snapshot();
            assertThat(second.generation).isEqualTo(first.generation + 1);
            assertThat(second.minAgeNanos(System.nanoTime())).as("not seen in this generation yet").isZero();
            assertThat(second.id()).isNotEqualTo(firstId);
            assertThat(second.backendPid()).isEqualTo(proxy.unwrap(org.postgresql.PGConnection.class).getBackendPID());
        }
    }

    private static LeaseSlot borrowed(Connection proxy, long borrowNanos, boolean exact) {
        LeaseSlot slot = new LeaseSlot(null, false);
        assertThat(slot.claim()).isTrue();
        slot.fill(Thread.currentThread(), borrowNanos, exact, null, LeaseTracker.physicalOf(proxy), null);
        return slot;
    }
}
