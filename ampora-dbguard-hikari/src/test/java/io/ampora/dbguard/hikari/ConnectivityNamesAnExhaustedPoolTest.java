package io.ampora.dbguard.hikari;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Runbook 4 as readiness sees it: the application holds every connection of its pool, the guard's probe gets
 * none. The connectivity check must name the exhausted pool with its numbers, not a network timeout ("packets
 * are dropped on the way... check firewalls" sent on-call to the wrong team), whether the guard's connect
 * timeout or HikariCP's connectionTimeout runs out first, on a plain HikariCP pool and on a GuardedPool.
 */
@WithPostgres
class ConnectivityNamesAnExhaustedPoolTest {

    private static CheckResult connectivityWhileEveryConnectionIsHeld(DataSource pool, Duration guardConnectTimeout)
            throws Exception {
        try (Connection held = pool.getConnection()) {
            return DbGuard.builder().dataSource(pool).connectTimeout(guardConnectTimeout).only(List.of("connectivity"))
                    .build().report().result("connectivity").orElseThrow();
        }
    }

    private static void assertNamesTheExhaustedPool(CheckResult r, String poolName) {
        assertThat(r.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(r.summary()).contains("connection pool has no free connection")
                .contains("Pool '" + poolName + "': 1 of 1 connections borrowed (maximum 1)")
                .doesNotContain("packets are dropped");
        assertThat(r.remediation()).startsWith("Runbook 4, not a network problem");
        assertThat(r.findings().get(0).details()).containsEntry("cause", "POOL_EXHAUSTED").containsEntry("pool", poolName)
                .containsEntry("borrowed", 1).containsEntry("maximumPoolSize", 1);
    }

    @Test
    void plainHikariPoolWithEveryConnectionHeldIsNamedWhenTheGuardStopsWaiting(TestDatabase db) throws Exception {
        try (HikariDataSource hikari = Pools.hikari(db, 1, 30_000)) {
            assertNamesTheExhaustedPool(connectivityWhileEveryConnectionIsHeld(hikari, Duration.ofSeconds(1)),
                    hikari.getPoolName());
        }
    }

    @Test
    void guardedPoolWithEveryConnectionHeldIsNamedWhenHikariStopsWaitingFirst(TestDatabase db) throws Exception {
        try (HikariDataSource hikari = Pools.hikari(db, 1, 500); GuardedPool guarded = GuardedPool.wrap(hikari)) {
            assertNamesTheExhaustedPool(connectivityWhileEveryConnectionIsHeld(guarded, Duration.ofSeconds(5)),
                    hikari.getPoolName());
        }
    }

    @Test
    void poolWithAFreeConnectionStillConnects(TestDatabase db) throws Exception {
        try (HikariDataSource hikari = Pools.hikari(db, 2, 30_000)) {
            assertThat(connectivityWhileEveryConnectionIsHeld(hikari, Duration.ofSeconds(1)).status())
                    .isEqualTo(CheckStatus.PASS);
        }
    }
}
