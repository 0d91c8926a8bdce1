package io.ampora.dbguard.hikari.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.internal.jdbc.LayeredConnection;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.lang.ref.ReferenceQueue;
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
            Lease lease = new Lease(LayeredConnection.of(proxy, null), null, null, staleTick, false, new ReferenceQueue<>());

            long now = System.nanoTime();
            assertThat(lease.ageNanos(now)).isGreaterThanOrEqualTo(now - borrowedAt + TimeUnit.SECONDS.toNanos(2));
            assertThat(lease.minAgeNanos(now)).as("not seen by the scanner yet").isZero();

            lease.seen(System.nanoTime());
            Thread.sleep(20);
            long later = System.nanoTime();
            assertThat(lease.minAgeNanos(later)).isBetween(TimeUnit.MILLISECONDS.toNanos(20), later - borrowedAt);

            lease.seen(later);
            assertThat(lease.minAgeNanos(later)).as("first sight is kept").isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    @Test
    void exactBorrowTimeIsUsedForBothAges(TestDatabase db) throws Exception {
        try (Connection proxy = db.dataSource().getConnection()) {
            long borrowedAt = System.nanoTime();
            Lease lease = new Lease(LayeredConnection.of(proxy, null), null, null, borrowedAt, true, new ReferenceQueue<>());
            Thread.sleep(10);
            long now = System.nanoTime();

            assertThat(lease.minAgeNanos(now)).isEqualTo(lease.ageNanos(now)).isEqualTo(now - borrowedAt);
        }
    }
}
