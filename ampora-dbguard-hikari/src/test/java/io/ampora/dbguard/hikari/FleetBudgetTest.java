package io.ampora.dbguard.hikari;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A small server (max_connections 10) and a non-superuser role, which gets no reserved slots. */
@WithPostgres(settings = {"max_connections=10", "max_wal_senders=2"})
class FleetBudgetTest {

    private static int usable(TestDatabase db) throws Exception {
        return Integer.parseInt(db.queryString("SELECT current_setting('max_connections')::int"
                + " - current_setting('superuser_reserved_connections')::int"
                + " - coalesce(nullif(current_setting('reserved_connections', true), ''), '0')::int"));
    }

    @Test
    void serverRefusingConnectionsIsDiagnosedAsFleetBudgetExceededWithTheArithmetic(TestDatabase db) throws Exception {
        db.createRole("fleet_app", "fleet-pw", null);
        int usable = usable(db);
        List<Connection> held = new ArrayList<>();
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, "fleet_app", "fleet-pw", 10, 1500),
                PoolGuardConfig.custom().instances(5).build())) {
            PoolExhaustedException e = null;
            for (int i = 0; i < 11 && e == null; i++) {
                try {
                    held.add(pool.getConnection());
                } catch (PoolExhaustedException ex) {
                    e = ex;
                }
            }
            assertThat((Object) e).isNotNull();
            assertThat(held.size()).isLessThanOrEqualTo(usable);
            PoolDiagnosis d = e.diagnosis();
            assertThat(d.cause()).isEqualTo(ExhaustionCause.FLEET_BUDGET_EXCEEDED);
            assertThat(d.summary()).contains("5 instances x 10 = 50 needed, " + usable + " available");
            assertThat(d.evidence()).anySatisfy(line -> assertThat(line).contains("53300"));
            assertThat(d.remediation()).contains("maximumPoolSize must be at most " + usable / 5);
            assertThat(e.getSQLState()).isEqualTo("53300");
        } finally {
            for (Connection c : held) {
                c.close();
            }
        }
    }

    @Test
    void poolBudgetFailsForAFleetTooBigForTheServer(TestDatabase db) throws Exception {
        int usable = usable(db);
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 4, 1000), PoolGuardConfig.custom().instances(3).build())) {
            CheckResult budget = DbGuard.builder().dataSource(db.dataSource()).checks(pool.checks()).build()
                    .report().result("pool-budget").orElseThrow();

            assertThat(budget.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(budget.summary()).contains("3 instances x 4 = 12", "max_connections 10");
            assertThat(budget.findings().get(0).details()).containsEntry("needed", 12L + (long) budget.findings().get(0)
                    .details().get("otherSessions")).containsEntry("usable", (long) usable);
            assertThat(budget.remediation()).contains("maximumPoolSize to at most");
        }
    }
}
