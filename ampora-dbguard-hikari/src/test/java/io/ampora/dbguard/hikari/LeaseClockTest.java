package io.ampora.dbguard.hikari;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Unsampled borrows do not read the clock: they take the tracker's tick, which the scanner advances every
 * 50 ms at most. These scenarios pin what that may and may not change: ages shown are never below the
 * real hold time, and no connection is reported before it has really been held past the threshold.
 */
@WithPostgres
class LeaseClockTest {

    private static final Duration THRESHOLD = Duration.ofMillis(300);

    private final List<LeakReport> events = new CopyOnWriteArrayList<>();

    private PoolGuardConfig unsampled() {
        return PoolGuardConfig.custom().leakThreshold(THRESHOLD).sampleEvery(Integer.MAX_VALUE).hotPercent(100)
                .listener(Pools.leaksInto(events)).build();
    }

    @Test
    void unsampledLeaseShowsAnAgeNeverBelowTheRealHoldTime(TestDatabase db) throws Exception {
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 4, 1000), unsampled())) {
            try (Connection c = pool.getConnection()) {
                long borrowed = System.nanoTime();
                Thread.sleep(120);
                long heldAtLeast = System.nanoTime() - borrowed;

                LeaseInfo lease = pool.leases().get(0);

                assertThat(lease.borrowSite()).as("not sampled").isEmpty();
                assertThat(lease.age().toNanos()).isGreaterThanOrEqualTo(heldAtLeast);
                assertThat(pool.oldestLeaseAge().toNanos()).isGreaterThanOrEqualTo(heldAtLeast);
            }
            assertThat(pool.leases()).isEmpty();
        }
    }

    @Test
    void connectionsReturnedJustBeforeTheThresholdAreNeverReportedAsLeaks(TestDatabase db) throws Exception {
        Map<Long, Long> heldAtMostNanos = new HashMap<>();
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 4, 1000), unsampled())) {
            for (int i = 0; i < 10; i++) {
                long before = System.nanoTime();
                Connection c = pool.getConnection();
                long id = pool.leases().get(0).id();
                // 290 of 300 ms: an age taken from a stale tick (up to 50 ms over) could cross the threshold
                Thread.sleep(290);
                c.close();
                heldAtMostNanos.put(id, System.nanoTime() - before);
            }
            Thread.sleep(THRESHOLD.toMillis());

            // a report is only right for a lease that was really held past the threshold (a loaded machine may
            // oversleep); none may name a lease that was certainly returned in time
            List<LeakReport> early = events.stream()
                    .filter(r -> r.kind() == LeakReport.Kind.HELD_TOO_LONG)
                    .filter(r -> heldAtMostNanos.getOrDefault(r.leaseId(), Long.MAX_VALUE) < THRESHOLD.toNanos())
                    .toList();
            assertThat(early).isEmpty();
            assertThat(heldAtMostNanos).hasSize(10);
        }
    }

    @Test
    void leaseHeldPastTheThresholdWithoutSamplingIsStillReportedWithItsSessionState(TestDatabase db) throws Exception {
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 4, 1000), unsampled())) {
            try (Connection c = pool.getConnection()) {
                long borrowed = System.nanoTime();
                assertThat(Pools.await(Duration.ofSeconds(10),
                        () -> events.stream().anyMatch(r -> r.kind() == LeakReport.Kind.HELD_TOO_LONG))).isTrue();
                long heldAtMost = System.nanoTime() - borrowed;

                LeakReport report = events.get(0);
                assertThat(report.borrowSite()).as("not sampled").isEmpty();
                assertThat(report.sessionState()).isEqualTo("idle");
                assertThat(report.heldFor()).isGreaterThanOrEqualTo(THRESHOLD);
                // the reported hold is over by at most one tick (50 ms) and the scanner's delay: 1 s of slack for a loaded machine
                assertThat(report.heldFor().toNanos()).isLessThan(heldAtMost + Duration.ofMillis(1000).toNanos());
            }
        }
    }
}
