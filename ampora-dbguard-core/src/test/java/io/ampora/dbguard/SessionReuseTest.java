package io.ampora.dbguard;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.NamedTestCheck;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.UnknownPool;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A guard built from a URL (or on a DataSource without a pool behind it) reuses at most maxConcurrency
 * physical connections across the checks of a report, each check still in its own read-only transaction with its own settings, and never reuses the
 * connection of a check that was cut off or left its transaction aborted.
 */
@WithPostgres
class SessionReuseTest {

    @Test
    void urlGuardRunsTwelveChecksOnAtMostMaxConcurrencyConnectionsEachInAFreshReadOnlyTransaction(TestDatabase db) {
        List<DatabaseCheck> checks = new ArrayList<>(IntStream.range(0, 12).mapToObj(i -> (DatabaseCheck) new PidCheck("pid-" + i)).toList());
        // leaves its transaction aborted: the next check on that connection must not inherit it
        checks.add(3, new FailingCheck());

        Report report = urlGuard(db, checks, 2, Duration.ofSeconds(5)).report();

        Set<String> pids = new HashSet<>();
        for (CheckResult r : report.checks()) {
            if (r.checkId().startsWith("pid-")) {
                assertThat(r.status()).as(r.summary()).isEqualTo(CheckStatus.PASS);
                String[] parts = r.summary().split(" ");
                pids.add(parts[0]);
                assertThat(parts[1]).as("read only").isEqualTo("on");
                assertThat(parts[2]).as("the check's own statement_timeout").isEqualTo("5s");
                assertThat(parts[3]).as("a new transaction").isEqualTo("fresh");
            }
        }
        assertThat(report.result("aborts-its-transaction").orElseThrow().status()).isEqualTo(CheckStatus.UNKNOWN);
        assertThat(pids).as("physical connections").hasSizeBetween(1, 2);
    }

    @Test
    void connectionOfACheckCutOffIsNotReused(TestDatabase db) throws Exception {
        List<DatabaseCheck> checks = new ArrayList<>(List.of(new SleepingCheck()));
        IntStream.range(0, 6).forEach(i -> checks.add(new PidCheck("pid-" + i)));

        Report report = urlGuard(db, checks, 1, Duration.ofSeconds(1)).report();

        CheckResult sleeper = report.result("sleeps-past-its-budget").orElseThrow();
        assertThat(sleeper.status()).isEqualTo(CheckStatus.UNKNOWN);
        String sleeperPid = SleepingCheck.pid;
        assertThat(sleeperPid).isNotNull();
        // a check that ran before the sleeper may have lent it its connection; none that ran after it may use it
        assertThat(report.checks()).filteredOn(r -> r.checkId().startsWith("pid-"))
                .allSatisfy(r -> assertThat(r.status()).as(r.summary()).isEqualTo(CheckStatus.PASS))
                .filteredOn(r -> PidCheck.STARTED.get(r.checkId()) > SleepingCheck.startedAt)
                .isNotEmpty()
                .allSatisfy(r -> assertThat(r.summary().split(" ")[0]).as("%s ran after the cut-off check on its"
                        + " connection", r.checkId()).isNotEqualTo(sleeperPid));
    }

    @Test
    void poolGuardStillTakesAConnectionPerCheckFromTheUsersPool(TestDatabase db) {
        List<DatabaseCheck> checks = IntStream.range(0, 4).mapToObj(i -> (DatabaseCheck) new PidCheck("pid-" + i)).toList();

        Report report = DbGuard.builder().dataSource(UnknownPool.of(db.dataSource())).checks(checks).maxConcurrency(1)
                .build().report();

        Set<String> pids = new HashSet<>();
        report.checks().forEach(r -> pids.add(r.summary().split(" ")[0]));
        assertThat(pids).as("a connection borrowed per check (a new backend each with this stand-in pool)").hasSize(4);
    }

    @Test
    void nonPooledDataSourceGuardKeepsItsConnectionsAcrossTheChecksLikeAUrlGuard(TestDatabase db) {
        List<DatabaseCheck> checks = IntStream.range(0, 6).mapToObj(i -> (DatabaseCheck) new PidCheck("pid-" + i)).toList();

        Report report = DbGuard.builder().dataSource(db.dataSource()).checks(checks).maxConcurrency(1).build().report();

        Set<String> pids = new HashSet<>();
        report.checks().forEach(r -> {
            String[] parts = r.summary().split(" ");
            pids.add(parts[0]);
            assertThat(parts[1]).as("read only").isEqualTo("on");
            assertThat(parts[3]).as("a new transaction").isEqualTo("fresh");
        });
        assertThat(pids).as("PGSimpleDataSource opens a physical connection per getConnection(): one, kept").hasSize(1);
    }

    @Test
    void keptConnectionRefusesAWriteAndCutsOffASlowStatementEvenAfterACheckChangedItsSession(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE kept_target (id int); CREATE TABLE kept_written (id int)");
        List<DatabaseCheck> checks = List.of(
                new PidCheck("pid-before"),
                // session-level SETs inside the check's transaction: the rollback that ends its session undoes them
                new SqlCheck("loosens-its-session", "SET statement_timeout = 0; SET lock_timeout = 0;"
                        + " SET default_transaction_read_only = off; SET application_name = 'loosened'"),
                new SqlCheck("writes", "INSERT INTO kept_written VALUES (1)"),
                new SqlCheck("sleeps", "SELECT pg_sleep(3)"),
                new SqlCheck("waits-for-a-lock", "SELECT count(*) FROM kept_target"),
                new PidCheck("pid-after"));

        Report report;
        try (var holder = db.dataSource().getConnection(); Statement st = holder.createStatement()) {
            holder.setAutoCommit(false);
            st.execute("LOCK TABLE kept_target IN ACCESS EXCLUSIVE MODE");
            // budget 2 s: the server's statement_timeout (2 s) stops the sleep before the runner's watchdog
            // (budget + grace) would, so the connection stays clean and is kept for the next checks
            report = urlGuard(db, checks, 1, Duration.ofSeconds(2)).report();
            holder.rollback();
        }

        String pid = report.result("pid-before").orElseThrow().summary().split(" ")[0];
        assertThat(report.result("loosens-its-session").orElseThrow().summary()).startsWith(pid + " ok");
        assertThat(report.result("writes").orElseThrow().summary()).as("a write on the kept connection")
                .isEqualTo(pid + " 25006");
        assertThat(report.result("sleeps").orElseThrow().summary()).as("statement_timeout on the kept connection")
                .isEqualTo(pid + " 57014");
        assertThat(report.result("waits-for-a-lock").orElseThrow().summary()).as("lock_timeout on the kept connection")
                .isEqualTo(pid + " 55P03");
        String[] after = report.result("pid-after").orElseThrow().summary().split(" ");
        assertThat(after[0]).as("the same physical connection throughout").isEqualTo(pid);
        assertThat(after[1]).as("read only").isEqualTo("on");
        assertThat(after[2]).as("the report's statement_timeout").isEqualTo("2s");
        try (var c = db.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM kept_written")) {
            rs.next();
            assertThat(rs.getInt(1)).as("rows written").isZero();
        }
    }

    private static DbGuard urlGuard(TestDatabase db, List<DatabaseCheck> checks, int maxConcurrency, Duration checkTimeout) {
        return DbGuard.builder().jdbcUrl(db.jdbcUrl()).user(db.server().adminUser()).password(db.server().adminPassword())
                .checks(checks).maxConcurrency(maxConcurrency).checkTimeout(checkTimeout).build();
    }

    /** Says its backend pid, whether it is read-only, its statement_timeout and whether its transaction is new. */
    static final class PidCheck extends NamedTestCheck {
        /** When each check started (nanoTime), by id. */
        static final java.util.Map<String, Long> STARTED = new java.util.concurrent.ConcurrentHashMap<>();

        PidCheck(String id) {
            super(id, "says which connection it ran on");
        }

        @Override
        public CheckResult run(CheckContext context) throws Exception {
            STARTED.put(id(), System.nanoTime());
            try (Statement st = context.connection().createStatement();
                 ResultSet rs = st.executeQuery("SELECT pg_backend_pid(), current_setting('transaction_read_only'),"
                         + " current_setting('statement_timeout'),"
                         + " CASE WHEN current_setting('dbguard.test_mark', true) IS NULL"
                         + "   OR current_setting('dbguard.test_mark', true) = '' THEN 'fresh' ELSE 'inherited' END,"
                         + " set_config('dbguard.test_mark', 'x', true)")) {
                rs.next();
                return CheckResult.pass(this, rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3) + " "
                        + rs.getString(4));
            }
        }
    }

    /** Runs its SQL and says its backend pid and "ok" or the SQLState it failed with. */
    static final class SqlCheck extends NamedTestCheck {
        private final String sql;

        SqlCheck(String id, String sql) {
            super(id, "runs " + sql);
            this.sql = sql;
        }

        @Override
        public CheckResult run(CheckContext context) throws Exception {
            String pid;
            try (Statement st = context.connection().createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                pid = rs.getString(1);
            }
            try (Statement st = context.connection().createStatement()) {
                st.execute(sql);
                return CheckResult.pass(this, pid + " ok");
            } catch (java.sql.SQLException e) {
                return CheckResult.pass(this, pid + " " + e.getSQLState());
            }
        }
    }

    /** Fails a statement, leaving its transaction aborted. */
    static final class FailingCheck implements DatabaseCheck {
        @Override
        public String id() {
            return "aborts-its-transaction";
        }

        @Override
        public RunbookSection runbook() {
            return RunbookSection.BEYOND_RUNBOOK;
        }

        @Override
        public String description() {
            return "fails a statement";
        }

        @Override
        public CheckResult run(CheckContext context) throws Exception {
            try (Statement st = context.connection().createStatement()) {
                st.execute("SELECT 1 / 0");
            }
            return CheckResult.pass(this, "unreachable");
        }
    }

    /** Sleeps past its budget, so the runner cuts it off. */
    static final class SleepingCheck implements DatabaseCheck {
        static volatile String pid;
        static volatile long startedAt;

        @Override
        public String id() {
            return "sleeps-past-its-budget";
        }

        @Override
        public RunbookSection runbook() {
            return RunbookSection.BEYOND_RUNBOOK;
        }

        @Override
        public String description() {
            return "sleeps";
        }

        @Override
        public CheckResult run(CheckContext context) throws Exception {
            startedAt = System.nanoTime();
            try (Statement st = context.connection().createStatement()) {
                try (ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                    rs.next();
                    pid = rs.getString(1);
                }
                // statement_timeout is the budget: set it higher locally so that only the watchdog stops it
                st.execute("SELECT set_config('statement_timeout', '30000', true)");
                st.execute("SELECT pg_sleep(20)");
            }
            return CheckResult.pass(this, "unreachable");
        }
    }
}
