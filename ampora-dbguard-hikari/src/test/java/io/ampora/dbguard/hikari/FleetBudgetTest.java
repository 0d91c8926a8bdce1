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

    @Test
    void aRolesConnectionLimitRefusingThePoolIsDiagnosedAsTheRolesNotTheServers(TestDatabase db) throws Exception {
        db.createRole("fleet_capped", "capped-pw", "CONNECTION LIMIT 3");
        List<Connection> held = new ArrayList<>();
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, "fleet_capped", "capped-pw", 5, 1500),
                PoolGuardConfig.custom().instances(2).build())) {
            PoolExhaustedException e = null;
            for (int i = 0; i < 6 && e == null; i++) {
                try {
                    held.add(pool.getConnection());
                } catch (PoolExhaustedException ex) {
                    e = ex;
                }
            }
            assertThat((Object) e).isNotNull();
            assertThat(held).hasSize(3);
            PoolDiagnosis d = e.diagnosis();
            assertThat(d.cause()).isEqualTo(ExhaustionCause.FLEET_BUDGET_EXCEEDED);
            assertThat(d.summary()).startsWith("The role's CONNECTION LIMIT refused a new connection");
            assertThat(d.evidence()).anySatisfy(line -> assertThat(line).contains("too many connections for role"))
                    .anySatisfy(line -> assertThat(line).contains("2 instances x 5 = 10"));
            assertThat(d.remediation()).startsWith("Raising max_connections does not help.")
                    .contains("ALTER ROLE fleet_capped CONNECTION LIMIT");
        } finally {
            for (Connection c : held) {
                c.close();
            }
        }
    }

    @Test
    void poolBudgetFailsWhenTheFleetNeedsMoreThanItsRolesConnectionLimit(TestDatabase db) throws Exception {
        db.createRole("fleet_limited", "limited-pw", "CONNECTION LIMIT 4");
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, "fleet_limited", "limited-pw", 5, 1000),
                PoolGuardConfig.custom().instances(1).build())) {
            CheckResult budget = DbGuard.builder().dataSource(db.dataSource()).checks(pool.checks()).build()
                    .report().result("pool-budget").orElseThrow();

            assertThat(budget.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(budget.findings()).anySatisfy(f -> {
                assertThat(f.details()).containsEntry("limitOf", "role").containsEntry("role", "fleet_limited")
                        .containsEntry("connectionLimit", 4).containsEntry("needed", 5L);
                assertThat(f.message()).startsWith("The role fleet_limited has CONNECTION LIMIT 4, and the fleet's pools"
                        + " need 1 instance x 5 = 5 (125%): past it, new connections fail with \"too many connections for"
                        + " role\" (53300)");
            });
            assertThat(budget.remediation()).contains("Set maximumPoolSize to at most 4 per instance for the role's"
                    + " CONNECTION LIMIT 4, or raise it: ALTER ROLE fleet_limited CONNECTION LIMIT 5;");

            db.server().adminExecute("ALTER ROLE fleet_limited CONNECTION LIMIT -1");
            CheckResult unlimited = DbGuard.builder().dataSource(db.dataSource()).checks(pool.checks()).build()
                    .report().result("pool-budget").orElseThrow();
            assertThat(unlimited.findings()).noneSatisfy(f -> assertThat(f.details()).containsKey("limitOf"));
        }
    }
}
