package io.ampora.dbguard.runbook.replicas;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.StreamingReplica;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * replica-conflicts against a real hot standby streaming from an embedded primary (the build's default version):
 * queries on the standby really cancelled by replay, through a real guard kept across runs as a monitor keeps it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplicaConflictsCheckTest {

    private static final Duration CONFLICT_WITHIN = Duration.ofSeconds(30);

    private StreamingReplica pair;

    @BeforeAll
    void startReplica() throws Exception {
        pair = StreamingReplica.start(PostgresServers.defaultMajor());
        pair.primary().adminExecute("CREATE TABLE \"Report Rows\" (id int, body text)");
        pair.primary().adminExecute("INSERT INTO \"Report Rows\" SELECT g, 'row ' || g FROM generate_series(1, 100) g");
        pair.awaitReplayed(Duration.ofSeconds(10));
        // replay cancels a conflicting standby query after 100ms instead of 30s
        pair.standby().adminExecute("ALTER SYSTEM SET max_standby_streaming_delay = '100ms'");
        pair.standby().adminExecute("SELECT pg_reload_conf()");
        Await.until("max_standby_streaming_delay 100ms on the standby", Duration.ofSeconds(10),
                () -> "100ms".equals(StreamingReplica.queryOne(pair.standby(), "SHOW max_standby_streaming_delay")));
    }

    @AfterAll
    void stopReplica() {
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void reportsLockConflictWhenPrimaryTruncatesTableAStandbyQueryReads() throws Exception {
        resetStandbyStatistics();
        DbGuard monitor = guard(pair.standby().adminDataSource("postgres"));
        CheckResult quiet = run(monitor);
        assertThat(quiet.status()).as(quiet.toString()).isEqualTo(CheckStatus.PASS);
        assertThat(quiet.summary()).contains("no query was cancelled by a conflict with recovery since the statistics"
                + " were reset at", "max_standby_streaming_delay 100ms", "hot_standby_feedback off");

        cancelStandbyReaderWith("TRUNCATE \"Report Rows\"", "confl_lock");

        CheckResult first = run(guard(pair.standby().adminDataSource("postgres")));
        assertThat(first.status()).as(first.toString()).isEqualTo(CheckStatus.WARN);
        assertThat(first.summary()).contains("WAL replay cancelled 1 query (lock 1) since the statistics were reset at",
                "hot_standby_feedback off", "max_standby_streaming_delay 100ms", "max_standby_archive_delay 30s");
        Finding lock = finding(first, "lock");
        assertThat(lock.message()).contains("1 query", "ACCESS EXCLUSIVE", "canceling statement due to conflict with"
                + " recovery", "vacuum_truncate = false");
        assertThat(lock.details()).containsEntry("column", "confl_lock").containsEntry("count", 1L)
                .containsEntry("total", 1L).containsEntry("hotStandbyFeedback", "off")
                .containsEntry("maxStandbyStreamingDelay", "100ms")
                .containsEntry("logDetail", "User was holding a relation lock for too long.");
        assertThat(first.findings()).hasSize(1);
        assertThat(first.remediation()).contains("ALTER TABLE ... SET (vacuum_truncate = false)", "SQLSTATE 40001");

        CheckResult grew = run(monitor);
        assertThat(grew.status()).as(grew.toString()).isEqualTo(CheckStatus.WARN);
        assertThat(grew.summary()).contains("cancelled 1 query (lock 1) since the previous run at", "totals since the statistics"
                + " were reset at", "lock 1, other kinds 0");

        CheckResult nothingNew = run(monitor);
        assertThat(nothingNew.status()).as(nothingNew.toString()).isEqualTo(CheckStatus.PASS);
        assertThat(nothingNew.summary()).contains("no query was cancelled by a conflict with recovery since the previous"
                + " run at", "totals since the statistics were reset at", "lock 1, other kinds 0");
        assertThat(nothingNew.findings()).isEmpty();

        cancelStandbyReaderWith("BEGIN; LOCK TABLE \"Report Rows\" IN ACCESS EXCLUSIVE MODE; COMMIT", "confl_lock");

        CheckResult again = run(monitor);
        assertThat(again.status()).as(again.toString()).isEqualTo(CheckStatus.WARN);
        assertThat(again.summary()).contains("cancelled 1 query (lock 1) since the previous run at", "lock 2, other kinds 0");
        assertThat(finding(again, "lock").details()).containsEntry("count", 1L).containsEntry("total", 2L);
    }

    @Test
    void reportsSnapshotConflictWhenVacuumOnThePrimaryRemovesRowsAStandbySnapshotSees() throws Exception {
        resetStandbyStatistics();
        DbGuard monitor = guard(pair.standby().adminDataSource("postgres"));
        assertThat(run(monitor).status()).isEqualTo(CheckStatus.PASS);
        CheckResult quiet = run(monitor);
        assertThat(quiet.status()).as(quiet.toString()).isEqualTo(CheckStatus.PASS);
        // the kinds are the view's columns: PostgreSQL 16 added confl_active_logicalslot
        assertThat(quiet.summary()).contains("totals since the statistics were reset at", "0 of every kind (snapshot, lock,"
                + " bufferpin, deadlock, tablespace" + (pair.standby().majorVersion() >= 16 ? ", active_logicalslot)" : ")"));
        pair.primary().adminExecute("CREATE TABLE IF NOT EXISTS snapshot_rows (id int, body text)");
        pair.primary().adminExecute("INSERT INTO snapshot_rows SELECT g, 'row ' || g FROM generate_series(1, 500) g");
        pair.awaitReplayed(Duration.ofSeconds(10));

        try (Connection reader = pair.standby().adminDataSource("postgres").getConnection()) {
            reader.setAutoCommit(false);
            reader.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try (Statement st = reader.createStatement()) {
                // reads another table: the snapshot, not a lock on snapshot_rows, is what conflicts
                st.executeQuery("SELECT count(*) FROM \"Report Rows\"").close();
            }
            long before = conflicts("confl_snapshot");
            pair.primary().adminExecute("DELETE FROM snapshot_rows");
            // no truncation of the emptied table: its ACCESS EXCLUSIVE lock would be a lock conflict, not this one
            pair.primary().adminExecute("VACUUM (TRUNCATE false) snapshot_rows");
            Await.until("the standby to cancel the REPEATABLE READ reader", CONFLICT_WITHIN,
                    () -> conflicts("confl_snapshot") > before);
            rollbackQuietly(reader);
        }

        CheckResult result = run(monitor);
        assertThat(result.status()).as(result.toString()).isEqualTo(CheckStatus.WARN);
        Finding snapshot = finding(result, "snapshot");
        assertThat(snapshot.message()).contains("row versions that the query's snapshot still saw",
                "hot_standby_feedback = on", "bloat on the primary", "max_standby_streaming_delay (now 100ms)");
        assertThat(snapshot.details()).containsEntry("column", "confl_snapshot").containsEntry("count", 1L);
        assertThat(result.findings()).extracting(f -> f.details().get("kind")).containsExactly("snapshot");
    }

    @Test
    void skipsOnThePrimaryWhereNothingReplaysWal() {
        CheckResult asReplica = run(guard(pair.primary().adminDataSource("postgres")));
        assertThat(asReplica.status()).as(asReplica.toString()).isEqualTo(CheckStatus.SKIP);
        assertThat(asReplica.summary()).contains("configured read replica", "is not in recovery", "replica-lag",
                "only on a hot standby");

        CheckResult noReplica = DbGuard.builder().dataSource(pair.primary().adminDataSource("postgres"))
                .only(List.of("replica-conflicts")).build().report().result("replica-conflicts").orElseThrow();
        assertThat(noReplica.status()).as(noReplica.toString()).isEqualTo(CheckStatus.SKIP);
        assertThat(noReplica.summary()).contains("is not in recovery", "--replica-jdbc-url");
    }

    @Test
    void looksAtTheGuardsOwnServerWhenItIsTheStandbyAndNoReplicaIsConfigured() throws Exception {
        resetStandbyStatistics();
        cancelStandbyReaderWith("TRUNCATE \"Report Rows\"", "confl_lock");

        CheckResult result = DbGuard.builder().dataSource(pair.standby().adminDataSource("postgres"))
                .only(List.of("replica-conflicts")).build().report().result("replica-conflicts").orElseThrow();

        assertThat(result.status()).as(result.toString()).isEqualTo(CheckStatus.WARN);
        assertThat(finding(result, "lock").details()).containsEntry("count", 1L)
                .hasEntrySatisfying("server", s -> assertThat((String) s).endsWith(":" + pair.standby().port() + "/postgres"));
    }

    @Test
    void reportsConflictsToARoleWithoutPrivileges() throws Exception {
        pair.primary().adminExecute("DROP ROLE IF EXISTS conflict_reader; CREATE ROLE conflict_reader LOGIN");
        pair.awaitReplayed(Duration.ofSeconds(10));
        resetStandbyStatistics();
        DbGuard monitor = guard(pair.standby().dataSource("postgres", "conflict_reader", ""));
        assertThat(run(monitor).status()).isEqualTo(CheckStatus.PASS);
        cancelStandbyReaderWith("TRUNCATE \"Report Rows\"", "confl_lock");

        CheckResult result = run(monitor);

        assertThat(result.status()).as(result.toString()).isEqualTo(CheckStatus.WARN);
        assertThat(result.summary()).contains("cancelled 1 query (lock 1) since the previous run at");
        assertThat(finding(result, "lock").details()).containsEntry("count", 1L)
                .containsEntry("maxStandbyStreamingDelay", "100ms");
    }

    @Test
    void passesAConflictWithinWarnAbove() throws Exception {
        resetStandbyStatistics();
        cancelStandbyReaderWith("TRUNCATE \"Report Rows\"", "confl_lock");

        CheckResult result = DbGuard.builder().dataSource(pair.primary().adminDataSource("postgres"))
                .replicaDataSource(pair.standby().adminDataSource("postgres")).only(List.of("replica-conflicts"))
                .set("replica-conflicts.warnAbove", "1").build().report().result("replica-conflicts").orElseThrow();

        assertThat(result.status()).as(result.toString()).isEqualTo(CheckStatus.PASS);
        assertThat(result.summary()).contains("1 query (lock 1) cancelled by conflicts with recovery",
                "not above warnAbove (1)");
    }

    /**
     * A standby session in a transaction that has read {@code "Report Rows"}; the primary runs {@code primarySql};
     * returns once the standby has counted the cancellation in {@code column}.
     */
    private void cancelStandbyReaderWith(String primarySql, String column) throws Exception {
        try (Connection reader = pair.standby().adminDataSource("postgres").getConnection()) {
            reader.setAutoCommit(false);
            try (Statement st = reader.createStatement()) {
                st.executeQuery("SELECT count(*) FROM \"Report Rows\"").close();
            }
            long before = conflicts(column);
            pair.primary().adminExecute(primarySql);
            Await.until("the standby to count a " + column + " cancellation", CONFLICT_WITHIN,
                    () -> conflicts(column) > before);
            rollbackQuietly(reader);
        }
        pair.primary().adminExecute("INSERT INTO \"Report Rows\" SELECT g, 'row ' || g FROM generate_series(1, 100) g");
        pair.awaitReplayed(Duration.ofSeconds(10));
    }

    /** Clears the standby's counters of the postgres database, so each scenario counts only its own conflicts. */
    private void resetStandbyStatistics() throws Exception {
        pair.standby().adminExecute("SELECT pg_stat_reset()");
        Await.until("the standby's conflict counters at 0", Duration.ofSeconds(10), () -> "0".equals(
                StreamingReplica.queryOne(pair.standby(), "SELECT confl_lock + confl_snapshot"
                        + " FROM pg_stat_database_conflicts WHERE datname = 'postgres'")));
    }

    private long conflicts(String column) {
        return Long.parseLong(StreamingReplica.queryOne(pair.standby(), "SELECT " + column
                + " FROM pg_stat_database_conflicts WHERE datname = 'postgres'"));
    }

    /** The reader was cancelled or its connection terminated by replay; either way it is done. */
    private static void rollbackQuietly(Connection reader) {
        try {
            reader.rollback();
        } catch (SQLException expected) {
            // terminated: "terminating connection due to conflict with recovery"
        }
    }

    /** A guard kept across runs, as a monitor keeps it: the check remembers the previous run's counts. */
    private DbGuard guard(DataSource replica) {
        return DbGuard.builder().dataSource(pair.primary().adminDataSource("postgres")).replicaDataSource(replica)
                .only(List.of("replica-conflicts")).build();
    }

    private static CheckResult run(DbGuard guard) {
        return guard.report().result("replica-conflicts").orElseThrow();
    }

    private static Finding finding(CheckResult result, String kind) {
        return result.findings().stream().filter(f -> kind.equals(f.details().get("kind"))).findFirst()
                .orElseThrow(() -> new AssertionError("no finding of kind '" + kind + "' in " + result));
    }
}
