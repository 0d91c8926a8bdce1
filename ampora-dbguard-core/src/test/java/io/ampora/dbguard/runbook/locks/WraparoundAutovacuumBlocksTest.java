package io.ampora.dbguard.runbook.locks;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A schema change that "hangs" on a table nobody touches: autovacuum freezes the table to prevent transaction ID
 * wraparound, holds SHARE UPDATE EXCLUSIVE for as long as its throttled scan takes, and does not give way to the
 * ALTER TABLE waiting for it, nor to the application's queries queued behind the ALTER. Reproduced for real: the
 * table's own {@code autovacuum_freeze_max_age} at its minimum (100,000), that many transaction IDs consumed, the
 * worker slowed by the table's cost settings; routine autovacuum is off on the table, which does not stop an
 * anti-wraparound one. The runbook's "not the application's session: terminate it" would only restart it.
 */
class WraparoundAutovacuumBlocksTest {

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void anAntiWraparoundAutovacuumInTheWayIsNotToBeTerminatedAndTheFreezeIsNamed(String version) throws Exception {
        try (TestDatabase db = database(version)) {
            slowlyVacuumedLedger(db, "autovacuum_enabled = false, autovacuum_freeze_max_age = 100000");
            db.execute("CREATE PROCEDURE consume_xids(n int) LANGUAGE plpgsql AS $$ BEGIN FOR i IN 1..n LOOP"
                    + " PERFORM pg_catalog.txid_current(); COMMIT; END LOOP; END $$");
            db.execute("CALL consume_xids(110000)");
            int worker = awaitWraparoundWorker(db);
            db.createRole("locks_av_reader", "reader-pw", "");
            try (LockScenario scenario = new LockScenario(db)) {
                int migration = scenario.waitOn("Flyway by Redgate", "ALTER TABLE ledger ADD COLUMN memo text");
                scenario.awaitWaiting(Duration.ZERO, migration);
                int read = scenario.waitOn("orders-service", "SELECT count(*) FROM ledger");
                scenario.awaitWaiting(Duration.ofMillis(400), migration, read);

                CheckResult result = run(db.dataSource());

                assertThat(result.status()).as(result.toString()).isEqualTo(CheckStatus.FAIL);
                Finding blocker = result.findings().stream().filter(f -> f.details().containsKey("waiters"))
                        .findFirst().orElseThrow(() -> new AssertionError(result.toString()));
                assertThat(blocker.details())
                        .containsEntry("pid", worker)
                        .containsEntry("backendType", "autovacuum worker")
                        .containsEntry("autovacuum", "anti-wraparound")
                        .containsEntry("lockMode", "SHARE UPDATE EXCLUSIVE")
                        .containsEntry("lockedObject", "public.ledger")
                        .containsEntry("vacuumFreeze", "VACUUM (FREEZE, VERBOSE) public.ledger")
                        .doesNotContainKey("terminate");
                assertThat((String) blocker.details().get("vacuumProgress")).contains("heap blocks scanned");
                assertThat(blocker.message()).startsWith("pid " + worker + " (autovacuum worker) has held a SHARE"
                                + " UPDATE EXCLUSIVE lock on public.ledger")
                        .contains("freezing public.ledger to prevent transaction ID wraparound",
                                "does not give way to waiting sessions", "terminating it does not help",
                                "SELECT pg_cancel_backend(" + worker + "), then at once VACUUM (FREEZE, VERBOSE) public.ledger")
                        .doesNotContain("pg_terminate_backend");
                // the ALTER at the head of the queue is still the first thing to cancel
                assertThat(result.findings().get(0).details()).containsEntry("pid", migration)
                        .containsEntry("heldUpBy", String.valueOf(worker));
                assertThat(result.remediation()).doesNotContain("pg_terminate_backend(" + worker + ")");

                // a role that may not see the worker's row: no terminate either, and why
                CheckResult hidden = run(db.dataSource("locks_av_reader", "reader-pw"));
                Finding seen = hidden.findings().stream().filter(f -> f.details().containsKey("waiters"))
                        .findFirst().orElseThrow(() -> new AssertionError(hidden.toString()));
                assertThat(seen.details()).containsEntry("pid", worker).doesNotContainKey("terminate")
                        .containsEntry("grant", "GRANT pg_read_all_stats TO locks_av_reader");
                assertThat(seen.message()).contains("most likely autovacuum", "do not terminate it")
                        .doesNotContain("pg_terminate_backend");

                // the advice, taken: cancel the waiting ALTER, the queued read runs
                db.execute("SELECT pg_cancel_backend(" + migration + ")");
                Checks.await("the application's read ran behind the cancelled ALTER",
                        () -> run(db.dataSource()).findings().stream().noneMatch(f -> f.details().containsKey("cancel")));
            } finally {
                freeze(db);
            }
        }
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "18"})
    void aRoutineAutovacuumInTheWayIsSaidToGiveWayByItself(String version) throws Exception {
        try (TestDatabase db = database(version)) {
            // vacuumed for its inserts (13+)
            slowlyVacuumedLedger(db, "autovacuum_vacuum_insert_threshold = 100, autovacuum_vacuum_insert_scale_factor = 0");
            String query = "SELECT coalesce((SELECT pid FROM pg_catalog.pg_stat_activity WHERE backend_type ="
                    + " 'autovacuum worker' AND datname = current_database() AND query LIKE 'autovacuum: VACUUM%ledger'), 0)";
            Checks.await("a routine autovacuum of ledger", () -> !"0".equals(db.queryString(query)));
            int worker = Integer.parseInt(db.queryString(query));
            try (LockScenario scenario = new LockScenario(db)) {
                // a waiter cancels a routine autovacuum after its deadlock_timeout: this one waits long enough to be seen
                int migration = scenario.waitOn("Flyway by Redgate",
                        "SET deadlock_timeout = '10min'; ALTER TABLE ledger ADD COLUMN memo text");
                scenario.awaitWaiting(Duration.ofMillis(400), migration);

                CheckResult result = run(db.dataSource());

                Finding blocker = result.findings().stream().filter(f -> f.details().containsKey("waiters"))
                        .findFirst().orElseThrow(() -> new AssertionError(result.toString()));
                assertThat(blocker.details()).containsEntry("pid", worker)
                        .containsEntry("autovacuum", "routine")
                        .containsEntry("vacuumFreeze", null)
                        .doesNotContainKey("terminate");
                assertThat(blocker.message()).contains("It is a routine autovacuum of public.ledger",
                        "cancels it by itself once a session has waited deadlock_timeout").doesNotContain("pg_terminate_backend");
                db.execute("SELECT pg_cancel_backend(" + migration + ")");
            } finally {
                freeze(db);
            }
        }
    }

    /** A database on a server whose autovacuum looks for work every second. */
    private static TestDatabase database(String version) throws SQLException {
        PostgresServer server = PostgresServers.get(new ServerSpec(version, Map.of("autovacuum_naptime", "1s"), false));
        return TestDatabase.create(server, WraparoundAutovacuumBlocksTest.class);
    }

    /** A table of 589 pages that autovacuum scans at 100-400 ms a page (cost limit 1, delay 100 ms). */
    private static void slowlyVacuumedLedger(TestDatabase db, String options) throws SQLException {
        db.execute("CREATE TABLE ledger (id int, entry text) WITH (" + options + ", autovacuum_vacuum_cost_delay = 100,"
                + " autovacuum_vacuum_cost_limit = 1);"
                + " INSERT INTO ledger SELECT g, repeat('l', 200) FROM generate_series(1, 20000) g");
    }

    private static int awaitWraparoundWorker(TestDatabase db) throws Exception {
        String query = "SELECT coalesce((SELECT pid FROM pg_catalog.pg_stat_activity WHERE backend_type = 'autovacuum"
                + " worker' AND datname = current_database() AND query LIKE '%ledger (to prevent wraparound)'), 0)";
        Checks.await("an anti-wraparound autovacuum of ledger", () -> !"0".equals(db.queryString(query)));
        return Integer.parseInt(db.queryString(query));
    }

    /** Ends the throttled worker and freezes the table unthrottled, so autovacuum does not start on it again. */
    private static void freeze(TestDatabase db) throws SQLException, InterruptedException {
        for (int attempt = 0; attempt < 10; attempt++) {
            try (Connection c = db.openSession(); Statement st = c.createStatement()) {
                st.execute("SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity"
                        + " WHERE backend_type = 'autovacuum worker' AND datname = current_database()");
                st.execute("SET lock_timeout = '2s'");
                st.execute("VACUUM (FREEZE) ledger");
                return;
            } catch (SQLException lockTimeout) {
                Thread.sleep(200);
            }
        }
    }

    private static CheckResult run(DataSource dataSource) {
        return DbGuard.builder().dataSource(dataSource).checks(List.of(new BlockingLocksCheck()))
                .applicationName("orders-service")
                .set("blocking-locks.warnAfter", "100ms").set("blocking-locks.failAfter", "300ms")
                .build().report().result("blocking-locks").orElseThrow();
    }
}
