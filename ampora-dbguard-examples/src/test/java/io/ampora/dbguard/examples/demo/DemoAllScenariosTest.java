package io.ampora.dbguard.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.examples.doctor.Doctor;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** {@code doctor demo --all}: every scenario is diagnosed by the check that should catch it. */
class DemoAllScenariosTest {

    @Test
    void everyScenarioIsDiagnosedByItsExpectedCheck() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int exit = Doctor.run(new PrintWriter(out, true), new PrintWriter(err, true), "demo", "--all");

        String text = out.toString();
        assertThat(text).contains(Scenarios.all().size() + " of " + Scenarios.all().size() + " scenarios diagnosed");
        for (Scenario s : Scenarios.all()) {
            assertThat(text).containsPattern("(?m)^" + s.name() + " .* " + s.expectedCheck() + " +(WARN|FAIL) +yes$");
        }
        assertThat(exit).isZero();
        assertThat(text).contains("(--full shows every check)");
        // the evidence each diagnosis must name, not just its status
        assertThat(text)
                .contains("application saw: the migration as ampora_ci failed: ERROR: permission denied for schema public")
                .contains("GRANT USAGE, CREATE ON SCHEMA public TO ampora_ci")
                .contains("lockKey: 77433833903597").contains("a crashed or stuck migrator")
                .contains("The database is at version 5 but this binary knows migrations only up to 4")
                .contains("customer_fixups")
                .contains("WAL replay is paused").contains("SELECT pg_wal_replay_resume()")
                .containsPattern("pid (\\d+) \\(psql, user postgres\\).*terminate it with SELECT pg_terminate_backend\\(\\1\\)")
                .contains("query: UPDATE orders SET total_cents = total_cents + 100 WHERE id = 1")
                .contains("waiterQuery: UPDATE orders SET customer = 'Ada L.' WHERE id = 1")
                .contains("SELECT id, total_cents FROM orders WHERE customer = 'Grace' FOR UPDATE")
                .contains("application saw: a query without any tenant returned the orders of 2 tenants")
                .contains("BYPASSRLS")
                .contains("A statement ran without a tenant at io.ampora.dbguard.examples.demo.TenantScenarios$OrderReport.countOrders")
                .contains("Policy tenant_isolation on public.orders reads app.tenant_id with current_setting")
                .contains("pg_sleep($2) GROUP BY 1 ORDER BY 1")
                .contains("public.orders.attributes is filtered with @>").contains("USING gin (attributes)")
                .contains("largest public.audit_event_archive")
                .contains("Prepared transaction 'ampora-xa-7f3e' (owner ampora_app, database ampora)")
                .contains("ROLLBACK PREPARED 'ampora-xa-7f3e'")
                .contains("The physical slot 'decommissioned_standby' retains")
                .contains("SELECT pg_drop_replication_slot('decommissioned_standby')")
                .contains("The WAL archiver is failing: archiving ")
                .contains("leak detector: Connection held for").contains("Query: SELECT id, customer FROM orders ORDER BY id")
                .contains("the waiting request failed: LEAK: 3 of 3 borrowed connections")
                .contains("PoolScenarios$OrderExport.start(PoolScenarios.java:")
                .contains("it was returned to the pool after rollback")
                .contains("borrowed at io.ampora.dbguard.examples.demo.PoolScenarios$OrderRetry.lockAndDrop(PoolScenarios.java:")
                .contains("; it was rolled back and returned to the pool.")
                .contains("PoolScenarios$OrderRetry.lockAndDrop(PoolScenarios.java:")
                .containsPattern("another session updated order \\d+ right after: its lock was released");
    }

    @Test
    void listNamesEveryScenarioWithItsRunbookSection() {
        StringWriter out = new StringWriter();

        int exit = Doctor.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), "demo", "--list");

        assertThat(exit).isZero();
        assertThat(out.toString()).contains("wrong-password").contains("1. Cannot connect");
    }

    @Test
    void unknownScenarioIsAUsageError() {
        StringWriter err = new StringWriter();

        int exit = Doctor.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "demo", "--scenario", "nope");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown scenario 'nope'").contains("refused");
    }
}
