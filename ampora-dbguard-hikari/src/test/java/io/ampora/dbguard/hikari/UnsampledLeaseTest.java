package io.ampora.dbguard.hikari;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.pool.HikariProxyConnection;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/**
 * Borrows that are not sampled are kept in a reusable record without a phantom reference: a connection such a
 * borrow never closes is found as held too long, which makes every later borrow fully tracked, so the next
 * unclosed connection is reported as such. A connection whose HikariCP proxy was closed behind the layer's
 * back keeps its record until its own close, so that close cannot end the next borrow's lease.
 */
@WithPostgres
class UnsampledLeaseTest {

    private final List<LeakReport> events = new CopyOnWriteArrayList<>();

    private List<LeakReport> events(LeakReport.Kind kind) {
        return events.stream().filter(e -> e.kind() == kind).toList();
    }

    @Test
    void unsampledConnectionNeverClosedIsReportedHeldTooLongThenTheNextOneUnclosed(TestDatabase db) throws Exception {
        PoolGuardConfig config = PoolGuardConfig.custom().leakThreshold(Duration.ofMillis(300))
                .sampleEvery(Integer.MAX_VALUE).hotPercent(100).listener(Pools.leaksInto(events)).build();
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 4, 1000), config)) {
            int pid = borrowAndForget(pool);
            assertThat(Pools.await(Duration.ofSeconds(10), () -> !events(LeakReport.Kind.HELD_TOO_LONG).isEmpty())).isTrue();
            for (int i = 0; i < 5; i++) {
                System.gc();
                Thread.sleep(100);
            }
            assertThat(events(LeakReport.Kind.UNCLOSED)).as("no phantom reference on an unsampled borrow").isEmpty();
            LeakReport held = events(LeakReport.Kind.HELD_TOO_LONG).get(0);
            assertThat(held.backendPid()).isEqualTo(pid);
            assertThat(held.borrowSite()).as("not sampled").isEmpty();
            assertThat(held.sessionState()).isEqualTo("idle");

            int second = borrowAndForget(pool);
            for (int i = 0; i < 50 && events(LeakReport.Kind.UNCLOSED).isEmpty(); i++) {
                System.gc();
                Thread.sleep(100);
            }
            assertThat(events(LeakReport.Kind.UNCLOSED)).singleElement().satisfies(leak -> {
                assertThat(leak.backendPid()).isEqualTo(second);
                assertThat(leak.borrowSite().get(0).getMethodName()).isEqualTo("borrowAndForget");
            });
            assertThat(pool.leaksSeen()).isEqualTo(2);
            assertThat(pool.leases()).singleElement().satisfies(l -> assertThat(l.backendPid()).isEqualTo(pid));
        }
    }

    private static int borrowAndForget(GuardedPool pool) throws Exception {
        Connection c = pool.getConnection();
        try (Statement st = c.createStatement()) {
            st.execute("SELECT 1");
        }
        return c.unwrap(PGConnection.class).getBackendPID();
    }

    @Test
    void connectionWhoseProxyWasClosedThroughUnwrapStaysTrackedUntilItsOwnCloseAndLeavesTheNextBorrowTracked(
            TestDatabase db) throws Exception {
        // fully tracked: an unsampled borrow does not keep HikariCP's proxy, so the tracker could not tell
        // that it was closed and would report the kept connection as held too long
        PoolGuardConfig config = PoolGuardConfig.custom().leakThreshold(Duration.ofMillis(100))
                .sampleEvery(1).listener(Pools.leaksInto(events)).build();
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 1, 1000), config)) {
            Connection first = pool.getConnection();
            int pid = first.unwrap(PGConnection.class).getBackendPID();
            first.unwrap(HikariProxyConnection.class).close();
            Thread.sleep(400);
            assertThat(events(LeakReport.Kind.HELD_TOO_LONG)).as("its proxy is closed: not a leak").isEmpty();

            try (Connection next = pool.getConnection()) {
                assertThat(next.unwrap(PGConnection.class).getBackendPID()).as("the same session again").isEqualTo(pid);
                assertThat(pool.leases()).hasSize(2);
                first.close();
                assertThat(pool.leases()).as("the late close ended its own lease only").singleElement()
                        .satisfies(l -> assertThat(l.backendPid()).isEqualTo(pid));
                first.close();
                assertThat(pool.leases()).hasSize(1);
            }
            assertThat(pool.leases()).isEmpty();
            assertThat(events).isEmpty();
        }
    }
}
