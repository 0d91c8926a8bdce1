package io.ampora.dbguard.runbook.queries;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.StreamingReplica;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * vacuum-health against the runbook's "a standby was removed, its slot stayed": a real hot standby with
 * hot_standby_feedback streams through a physical slot, which is how a physical slot gets an xmin, then stops for good
 * and leaves the slot and its xmin behind. Each test builds its own primary: the slot holds back every database of the
 * server, which the shared test servers must not see.
 */
class VacuumHealthLeftBehindSlotTest {

    private static final String SLOT = "replication slot 'gone_standby' (inactive: no standby streams from it)";
    private static final String DROP = "SELECT pg_catalog.pg_drop_replication_slot('gone_standby')";

    @Test
    void namesTheSlotOfARemovedStandbyWhenItHasBeenInactiveSinceBeforeTheLastVacuumOrElseSaysItMayBeTheCause()
            throws Exception {
        try (StreamingReplica pair = StreamingReplica.start(PostgresServers.defaultMajor())) {
            leaveSlotWithXminBehind(pair);
            createChurned(pair);
            deleteAndVacuum(pair);

            assertNamesOrSuspectsTheSlot(pair, Checks.run(primary(pair), new VacuumHealthCheck()));
            // a role without privileges reads the same: pg_replication_slots is readable by everyone
            pair.primary().adminExecute("CREATE ROLE guard_plain LOGIN");
            assertNamesOrSuspectsTheSlot(pair, Checks.run(pair.primary().dataSource("postgres", "guard_plain", ""),
                    new VacuumHealthCheck()));

            // the slot was the cause: dropped, the same VACUUM removes the dead tuples
            pair.primary().adminExecute(DROP);
            pair.primary().adminExecute("VACUUM (ANALYZE) churned");
            awaitDeadTuples(pair, "= 0");
            assertThat(Checks.withDetail(Checks.run(primary(pair), new VacuumHealthCheck()), "table", "public.churned"))
                    .isEmpty();
        }
    }

    @Test
    void namesTheLeftBehindSlotBeforeAnOpenTransactionThatPredatesTheVacuumWhenTheSlotsHorizonIsOlder()
            throws Exception {
        try (StreamingReplica pair = StreamingReplica.start(PostgresServers.defaultMajor())) {
            leaveSlotWithXminBehind(pair);
            createChurned(pair); // takes transaction IDs: the transaction below begins after the slot's xmin
            try (Connection open = primary(pair).getConnection()) {
                open.setAutoCommit(false);
                int pid;
                try (Statement st = open.createStatement();
                     ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_backend_pid(), pg_catalog.txid_current()")) {
                    rs.next();
                    pid = rs.getInt(1);
                }
                deleteAndVacuum(pair);

                CheckResult result = Checks.run(primary(pair), new VacuumHealthCheck());

                String session = "pid " + pid + " (PostgreSQL JDBC Driver, user postgres, idle in transaction)";
                String terminate = "SELECT pg_catalog.pg_terminate_backend(" + pid + ")";
                assertThat(Checks.withDetail(result, "table", "public.churned")).singleElement().satisfies(f -> {
                    assertThat(f.details()).containsEntry("heldBackBy", SLOT)
                            .containsEntry("fix", DROP + "; " + terminate + "; then VACUUM (ANALYZE) public.churned;");
                    assertThat(f.message()).contains("Vacuum cannot remove them while " + SLOT + " lasts",
                            "until it and " + session + " end", "fresh base backup");
                    if (hasInactiveSince(pair)) {
                        // PostgreSQL 17+: inactive since before the vacuum, the slot is its own proof
                        assertThat(f.message()).contains(SLOT + " lasts: it has held back the xmin horizon since");
                    } else {
                        // the open transaction is the proof: it began before the vacuum, the slot's horizon is older
                        assertThat(f.message()).contains("further than " + session + ", which has held it since");
                        assertThat(f.details()).containsEntry("heldBackSince", "an unknown time");
                    }
                });
                assertThat(result.summary()).contains(SLOT + " keeps vacuum from removing their dead tuples");
                assertThat(result.remediation()).startsWith("End " + SLOT + " and " + session + " first: " + DROP + "; "
                        + terminate);
            }
            // both ended (the connection closed, the slot dropped), the same VACUUM removes the dead tuples (again
            // until the closed session's backend has exited)
            pair.primary().adminExecute(DROP);
            Checks.await("a VACUUM to remove the dead tuples", () -> {
                pair.primary().adminExecute("VACUUM churned");
                return "0".equals(StreamingReplica.queryOne(pair.primary(),
                        "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'churned'"));
            });
        }
    }

    @Test
    void onlySaysTheSlotMayBeTheCauseWhenItsHorizonCameAfterTheDeletesThatAVacuumStillRemoves() throws Exception {
        try (StreamingReplica pair = StreamingReplica.start(PostgresServers.defaultMajor())) {
            streamThroughSlotWithFeedback(pair);
            createChurned(pair);
            pair.primary().adminExecute("VACUUM ANALYZE churned");
            pair.primary().adminExecute("DELETE FROM churned WHERE id <= 6000");
            // the standby reports a horizon past the deletes before it goes: its slot keeps none of these dead tuples
            String after = StreamingReplica.queryOne(pair.primary(),
                    "SELECT pg_catalog.txid_snapshot_xmin(pg_catalog.txid_current_snapshot())");
            Checks.await("the slot's xmin past the deletes", () -> "t".equals(StreamingReplica.queryOne(pair.primary(),
                    "SELECT xmin::text::bigint >= " + after + " FROM pg_replication_slots WHERE slot_name = 'gone_standby'")));
            stopStandby(pair);
            awaitDeadTuples(pair, ">= 6000");

            CheckResult result = Checks.run(primary(pair), new VacuumHealthCheck());

            assertThat(Checks.withDetail(result, "table", "public.churned")).singleElement().satisfies(f -> {
                assertThat(f.details()).containsEntry("heldBackBy", null).containsEntry("heldBackSince", null)
                        .containsEntry("mayBeHeldBackBy", SLOT).containsEntry("fix", "VACUUM (ANALYZE) public.churned;");
                assertThat(f.message()).contains("They may be held back by " + SLOT)
                        .doesNotContain("Vacuum cannot remove them");
            });

            // right not to blame it: the slot stays, and a VACUUM removes them all
            pair.primary().adminExecute("VACUUM churned");
            awaitDeadTuples(pair, "= 0");
            assertThat(StreamingReplica.queryOne(pair.primary(), "SELECT xmin IS NOT NULL FROM pg_replication_slots"
                    + " WHERE slot_name = 'gone_standby'")).isEqualTo("t");
        }
    }

    @Test
    void onlySaysTheSlotOfAStreamingStandbyMayBeTheCauseAndPointsAtItsLongQuery() throws Exception {
        try (StreamingReplica pair = StreamingReplica.start(PostgresServers.defaultMajor())) {
            streamThroughSlotWithFeedback(pair);
            createChurned(pair);
            pair.awaitReplayed(Duration.ofSeconds(10));
            try (Connection report = pair.standby().adminDataSource("postgres").getConnection()) {
                report.setAutoCommit(false);
                report.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                try (Statement st = report.createStatement()) {
                    st.executeQuery("SELECT count(*) FROM churned").close(); // a snapshot the standby keeps
                }
                deleteAndVacuum(pair);

                CheckResult result = Checks.run(primary(pair), new VacuumHealthCheck());

                // a standby's feedback xmin moves with its queries: no time to compare with the vacuum, no claim
                String slot = "replication slot 'gone_standby' (streamed by the standby " + StreamingReplica.STANDBY_NAME
                        + " with hot_standby_feedback)";
                assertThat(Checks.withDetail(result, "table", "public.churned")).singleElement().satisfies(f -> {
                    assertThat(f.details()).containsEntry("heldBackBy", null).containsEntry("mayBeHeldBackBy", slot)
                            .containsEntry("fix", "VACUUM (ANALYZE) public.churned;");
                    assertThat(f.message()).contains("They may be held back by " + slot, "end it first: end the long"
                            + " query on the standby " + StreamingReplica.STANDBY_NAME + " that streams through it, or"
                            + " turn hot_standby_feedback off on it").doesNotContain("pg_drop_replication_slot");
                });
                report.rollback();
            }
            // the standby's query ended, its next feedback lets the same VACUUM remove the dead tuples
            Checks.await("a VACUUM to remove the dead tuples", () -> {
                pair.primary().adminExecute("VACUUM churned");
                return "0".equals(StreamingReplica.queryOne(pair.primary(),
                        "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'churned'"));
            });
        }
    }

    private static void assertNamesOrSuspectsTheSlot(StreamingReplica pair, CheckResult result) {
        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        if (hasInactiveSince(pair)) {
            String since = StreamingReplica.queryOne(pair.primary(),
                    "SELECT inactive_since FROM pg_replication_slots WHERE slot_name = 'gone_standby'");
            assertThat(Checks.withDetail(result, "table", "public.churned")).singleElement().satisfies(f -> {
                assertThat(f.details()).containsEntry("deadTuples", 6000L).containsEntry("heldBackBy", SLOT)
                        .containsEntry("heldBackSince", seconds(since)).containsEntry("mayBeHeldBackBy", null)
                        .containsEntry("fix", DROP + "; then VACUUM (ANALYZE) public.churned;");
                assertThat((Long) f.details().get("horizonXidAge")).isPositive();
                assertThat(f.message()).contains("Vacuum cannot remove them while " + SLOT + " lasts",
                        "the last vacuum ran after that", "a standby that still uses the slot would need a fresh"
                                + " base backup");
            });
            assertThat(result.summary()).contains(SLOT + " keeps vacuum from removing their dead tuples");
            assertThat(result.remediation()).startsWith("End " + SLOT + " first: " + DROP + ".")
                    .contains("fresh base backup");
        } else {
            // PostgreSQL 13 to 16: nothing tells since when the slot has held its xmin
            assertThat(Checks.withDetail(result, "table", "public.churned")).singleElement().satisfies(f -> {
                assertThat(f.details()).containsEntry("deadTuples", 6000L).containsEntry("heldBackBy", null)
                        .containsEntry("mayBeHeldBackBy", SLOT)
                        .containsEntry("fix", "VACUUM (ANALYZE) public.churned;");
                assertThat(f.message()).contains("They may be held back by " + SLOT, "If a VACUUM leaves them, end"
                        + " it first: " + DROP, "fresh base backup").doesNotContain("Vacuum cannot remove them");
            });
            assertThat(result.summary()).contains(SLOT + " may keep vacuum from removing their dead tuples");
            assertThat(result.remediation()).startsWith("Run VACUUM (ANALYZE) public.churned;")
                    .contains("If the VACUUM leaves the dead tuples, " + SLOT + " holds them", DROP);
        }
    }

    private static void leaveSlotWithXminBehind(StreamingReplica pair) throws Exception {
        streamThroughSlotWithFeedback(pair);
        stopStandby(pair);
    }

    /** A physical slot gets an xmin only from the feedback of a standby streaming through it. */
    private static void streamThroughSlotWithFeedback(StreamingReplica pair) throws Exception {
        pair.primary().adminExecute("SELECT pg_catalog.pg_create_physical_replication_slot('gone_standby', true)");
        pair.standby().adminExecute("ALTER SYSTEM SET primary_slot_name = 'gone_standby'");
        pair.standby().adminExecute("ALTER SYSTEM SET hot_standby_feedback = on");
        pair.standby().adminExecute("SELECT pg_catalog.pg_reload_conf()");
        Checks.await("the standby's feedback xmin on its slot", () -> "t".equals(StreamingReplica.queryOne(pair.primary(),
                "SELECT active AND xmin IS NOT NULL FROM pg_replication_slots WHERE slot_name = 'gone_standby'")));
    }

    /** The standby removed: its slot stays, inactive, with the xmin of its last feedback. */
    private static void stopStandby(StreamingReplica pair) throws Exception {
        pair.standby().stop();
        Checks.await("the slot inactive", () -> "f".equals(StreamingReplica.queryOne(pair.primary(),
                "SELECT active FROM pg_replication_slots WHERE slot_name = 'gone_standby'")));
    }

    /** Autovacuum off for the table: only the test's VACUUMs run on it. */
    private static void createChurned(StreamingReplica pair) throws Exception {
        pair.primary().adminExecute("CREATE TABLE churned (id int PRIMARY KEY, note text) WITH (autovacuum_enabled"
                + " = false); INSERT INTO churned SELECT g, 'note ' || g FROM generate_series(1, 10000) g");
    }

    /** Rows deleted after the slot's xmin, then a VACUUM that can remove none of them. */
    private static void deleteAndVacuum(StreamingReplica pair) throws Exception {
        pair.primary().adminExecute("DELETE FROM churned WHERE id <= 6000");
        pair.primary().adminExecute("VACUUM churned");
        Checks.await("the vacuum and its dead tuples in pg_stat_user_tables", () -> "t".equals(StreamingReplica.queryOne(
                pair.primary(), "SELECT n_dead_tup >= 6000 AND last_vacuum IS NOT NULL FROM pg_stat_user_tables"
                        + " WHERE relname = 'churned'")));
    }

    private static void awaitDeadTuples(StreamingReplica pair, String condition) throws Exception {
        Checks.await("n_dead_tup " + condition, () -> "t".equals(StreamingReplica.queryOne(pair.primary(),
                "SELECT n_dead_tup " + condition + " FROM pg_stat_user_tables WHERE relname = 'churned'")));
    }

    private static boolean hasInactiveSince(StreamingReplica pair) {
        return "1".equals(StreamingReplica.queryOne(pair.primary(), "SELECT count(*) FROM pg_attribute"
                + " WHERE attrelid = 'pg_catalog.pg_replication_slots'::regclass AND attname = 'inactive_since'"));
    }

    private static String seconds(String timestamptz) {
        return OffsetDateTime.parse(timestamptz.replace(' ', 'T').replaceAll("([+-]\\d\\d)$", "$1:00"))
                .truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static DataSource primary(StreamingReplica pair) {
        return pair.primary().adminDataSource("postgres");
    }
}
