package io.ampora.dbguard.runbook.locks;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@WithPostgres
class BlockingLocksCheckTest {

    private static final String ITEMS = "\"My Schema\".\"Order \"\"Items\"\"\"";

    @Test
    void reportsRootBlockerWhenExternalSessionHoldsLock(TestDatabase db) throws Exception {
        db.execute("CREATE SCHEMA IF NOT EXISTS \"My Schema\"; CREATE TABLE " + ITEMS + " (id int)");
        try (LockScenario scenario = new LockScenario(db)) {
            int holder = scenario.hold("psql", "LOCK TABLE " + ITEMS + " IN ACCESS EXCLUSIVE MODE");
            int reader = scenario.waitOn("orders-service", "SELECT count(*) FROM " + ITEMS);
            int writer = scenario.waitOn("orders-service", "INSERT INTO " + ITEMS + " VALUES (1)");
            scenario.awaitWaiting(Duration.ofMillis(400), reader, writer);

            CheckResult result = run(db.dataSource(), null);

            assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(result.findings()).hasSize(1);
            Finding f = result.findings().get(0);
            assertThat(f.message()).startsWith("pid " + holder + " (psql, user postgres) has held an ACCESS EXCLUSIVE lock on "
                            + ITEMS + " for up to ")
                    .contains("idle in transaction", "2 sessions wait, the longest for ",
                            "It is not an application session: terminate it with SELECT pg_terminate_backend(" + holder + ")");
            assertThat(f.details())
                    .containsEntry("pid", holder)
                    .containsEntry("applicationName", "psql")
                    .containsEntry("state", "idle in transaction")
                    .containsEntry("lockMode", "ACCESS EXCLUSIVE")
                    .containsEntry("lockedObject", ITEMS)
                    .containsEntry("waiters", 2)
                    .containsEntry("directWaiters", 2)
                    .containsEntry("applicationSession", false)
                    .containsEntry("terminate", "SELECT pg_terminate_backend(" + holder + ")");
            assertThat((String) f.details().get("query")).isEqualTo("LOCK TABLE " + ITEMS + " IN ACCESS EXCLUSIVE MODE");
            assertThat((String) f.details().get("waitingPids")).contains(String.valueOf(reader), String.valueOf(writer));
            assertThat(result.remediation()).contains("pg_terminate_backend(" + holder + ")");
        }
    }

    @Test
    void countsSessionsQueuedBehindAWaiterAndAsksForAnIssueWhenTheApplicationHolds(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE queued (id int)");
        try (LockScenario scenario = new LockScenario(db)) {
            int holder = scenario.hold("orders-service", "SELECT count(*) FROM queued");
            int migration = scenario.waitOn("flyway", "ALTER TABLE queued ADD COLUMN note text");
            scenario.awaitWaiting(Duration.ZERO, migration);
            int reader = scenario.waitOn("orders-service", "SELECT count(*) FROM queued");
            scenario.awaitWaiting(Duration.ofMillis(400), migration, reader);

            CheckResult result = run(db.dataSource(), "orders-service");

            assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(result.findings()).filteredOn(f -> f.details().containsKey("waiters")).singleElement().satisfies(f -> {
                assertThat(f.details())
                        .containsEntry("pid", holder)
                        .containsEntry("lockMode", "ACCESS SHARE")
                        .containsEntry("lockedObject", "public.queued")
                        .containsEntry("waiters", 2)
                        .containsEntry("directWaiters", 1)
                        .containsEntry("applicationSession", true)
                        .doesNotContainKey("terminate");
                assertThat(f.message()).contains("It is an application session (orders-service)", "open an issue")
                        .doesNotContain("pg_terminate_backend");
                assertThat((String) f.details().get("query")).isEqualTo("SELECT count(*) FROM queued");
            });
        }
    }

    @Test
    void namesTheMigrationQueuedBehindALongReaderAsWhatStopsTheApplicationAndCancelsItFirst(TestDatabase db)
            throws Exception {
        db.execute("CREATE TABLE invoices (id int)");
        try (LockScenario scenario = new LockScenario(db)) {
            int reader = scenario.hold("psql", "SELECT count(*) FROM invoices");
            int migration = scenario.waitOn("Flyway by Redgate", "ALTER TABLE invoices ADD COLUMN note text");
            scenario.awaitWaiting(Duration.ZERO, migration);
            int apiRead = scenario.waitOn("orders-service", "SELECT count(*) FROM invoices");
            int apiWrite = scenario.waitOn("orders-service", "INSERT INTO invoices VALUES (1)");
            scenario.awaitWaiting(Duration.ofMillis(400), apiRead, apiWrite);

            CheckResult result = run(db.dataSource(), "orders-service");

            assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(result.summary()).contains("pid " + migration + " waits for an ACCESS EXCLUSIVE lock on"
                    + " public.invoices and 2 sessions queue behind it");
            assertThat(result.findings()).hasSize(2);
            Finding head = result.findings().get(0);
            assertThat(head.details())
                    .containsEntry("pid", migration)
                    .containsEntry("applicationName", "Flyway by Redgate")
                    .containsEntry("awaitedLockMode", "ACCESS EXCLUSIVE")
                    .containsEntry("lockedObject", "public.invoices")
                    .containsEntry("heldUpBy", String.valueOf(reader))
                    .containsEntry("queuedBehind", 2)
                    .containsEntry("query", "ALTER TABLE invoices ADD COLUMN note text")
                    .containsEntry("cancel", "SELECT pg_cancel_backend(" + migration + ")");
            assertThat((String) head.details().get("queuedPids")).contains(String.valueOf(apiRead), String.valueOf(apiWrite));
            assertThat(head.message()).contains("grants a table's locks in the order they were asked for",
                    "run schema changes with a lock_timeout");
            assertThat(result.findings().get(1).details()).containsEntry("pid", reader).containsEntry("waiters", 3);
            assertThat(result.remediation()).startsWith("pid " + migration + " (Flyway by Redgate, user postgres),"
                    + " waiting for an ACCESS EXCLUSIVE lock on public.invoices: cancel it to let the 2 queued sessions"
                    + " through now: SELECT pg_cancel_backend(" + migration + ")");

            // the advice, taken: the queue drains although the reader still holds its lock
            try (java.sql.Connection c = db.dataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
                st.execute("SELECT pg_cancel_backend(" + migration + ")");
            }
            io.ampora.dbguard.runbook.Checks.await("the application's statements ran", () -> {
                CheckResult after = run(db.dataSource(), "orders-service");
                return after.status() == CheckStatus.PASS;
            });
        }
    }

    @Test
    void anApplicationWriteWithSessionsQueuedBehindItIsNotNamedAsAQueueHead(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE ledger (id int PRIMARY KEY, amount int); INSERT INTO ledger VALUES (1, 1)");
        try (LockScenario scenario = new LockScenario(db)) {
            int holder = scenario.hold("psql", "LOCK TABLE ledger IN SHARE MODE");
            int writer = scenario.waitOn("orders-service", "UPDATE ledger SET amount = 2 WHERE id = 1");
            scenario.awaitWaiting(Duration.ZERO, writer);
            // SHARE does not conflict with the holder's SHARE: it waits only because the writer is ahead of it
            int index = scenario.waitOn("batch", "CREATE INDEX ledger_amount ON ledger (amount)");
            scenario.awaitWaiting(Duration.ofMillis(400), writer, index);

            CheckResult result = run(db.dataSource(), "orders-service");

            assertThat(result.findings()).singleElement().satisfies(f -> assertThat(f.details())
                    .containsEntry("pid", holder).containsEntry("waiters", 2).doesNotContainKey("queuedBehind"));
            assertThat(result.summary()).doesNotContain("queue behind it");
        }
    }

    @Test
    void seesRowLocksThroughTheTransactionTheyWaitFor(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int); INSERT INTO accounts VALUES (1, 10)");
        try (LockScenario scenario = new LockScenario(db)) {
            int holder = scenario.hold("DBeaver 24.1.0 - SQLEditor", "UPDATE accounts SET balance = 20 WHERE id = 1");
            int waiter = scenario.waitOn("orders-service", "UPDATE accounts SET balance = 30 WHERE id = 1");
            scenario.awaitWaiting(Duration.ofMillis(400), waiter);

            CheckResult result = run(db.dataSource(), null);

            assertThat(result.findings()).singleElement().satisfies(f -> {
                assertThat(f.details()).containsEntry("pid", holder).containsEntry("waiters", 1)
                        .containsEntry("waiterQuery", "UPDATE accounts SET balance = 30 WHERE id = 1");
                assertThat(f.message()).contains("has held row locks (transaction ", "pg_terminate_backend(" + holder + ")");
            });
        }
    }

    @Test
    void unprivilegedRoleSeesTheBlockerButSaysItsQueryIsHidden(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE hidden_orders (id int)");
        db.createRole("locks_bl_reader", "reader-pw", "");
        try (LockScenario scenario = new LockScenario(db)) {
            int holder = scenario.hold("psql", "LOCK TABLE hidden_orders IN ACCESS EXCLUSIVE MODE");
            int waiter = scenario.waitOn("orders-service", "SELECT count(*) FROM hidden_orders");
            scenario.awaitWaiting(Duration.ofMillis(400), waiter);

            CheckResult result = run(db.dataSource("locks_bl_reader", "reader-pw"), null);

            // pg_locks.waitstart (14+) shows how long even a hidden session has waited; 13 cannot tell.
            assertThat(result.status()).isEqualTo(db.server().majorVersion() >= 14 ? CheckStatus.FAIL : CheckStatus.UNKNOWN);
            assertThat(result.findings()).singleElement().satisfies(f -> {
                assertThat(f.details())
                        .containsEntry("pid", holder)
                        .containsEntry("applicationName", "psql")
                        .containsEntry("query", "<insufficient privilege>")
                        .containsEntry("lockedObject", "public.hidden_orders")
                        .containsEntry("grant", "GRANT pg_read_all_stats TO locks_bl_reader");
                assertThat(f.message()).contains("hidden from this role", "pg_terminate_backend(" + holder + ")");
            });
        }
    }

    @Test
    void aTableLockHeldInAnotherDatabaseDoesNotBreakTheCheck(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE here (id int)");
        try (io.ampora.dbguard.testing.TestDatabase other = io.ampora.dbguard.testing.TestDatabase.create(db.server(),
                BlockingLocksCheckTest.class);
             java.sql.Connection elsewhere = other.openSession();
             LockScenario scenario = new LockScenario(db)) {
            other.execute("CREATE TABLE elsewhere (id int)");
            elsewhere.setAutoCommit(false);
            try (java.sql.Statement st = elsewhere.createStatement()) {
                st.execute("SELECT count(*) FROM elsewhere"); // its relation lock names an oid of another database
            }
            int holder = scenario.hold("psql", "LOCK TABLE here IN ACCESS EXCLUSIVE MODE");
            int waiter = scenario.waitOn("orders-service", "SELECT count(*) FROM here");
            scenario.awaitWaiting(Duration.ofMillis(400), waiter);

            CheckResult result = run(db.dataSource(), null);

            assertThat(result.status()).as(result.summary()).isEqualTo(CheckStatus.FAIL);
            assertThat(result.findings()).singleElement()
                    .satisfies(f -> assertThat(f.details()).containsEntry("pid", holder));
            elsewhere.rollback();
        }
    }

    @Test
    void staysQuietWhenShortWaitsAreBelowWarnAfter(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE brief (id int)");
        try (LockScenario scenario = new LockScenario(db)) {
            scenario.hold("psql", "LOCK TABLE brief IN ACCESS EXCLUSIVE MODE");
            int waiter = scenario.waitOn("orders-service", "SELECT count(*) FROM brief");
            scenario.awaitWaiting(Duration.ZERO, waiter);

            CheckResult result = DbGuard.builder().dataSource(db.dataSource()).checks(List.of(new BlockingLocksCheck()))
                    .build().report().result("blocking-locks").orElseThrow();

            assertThat(result.status()).isEqualTo(CheckStatus.PASS);
            assertThat(result.summary()).startsWith("1 session waits on a lock behind 1 root blocker, none longer than 5.0s");
        }
    }

    @Test
    void staysQuietWhenNobodyWaits(TestDatabase db) {
        CheckResult result = DbGuard.builder().dataSource(db.dataSource()).checks(List.of(new BlockingLocksCheck()))
                .build().report().result("blocking-locks").orElseThrow();

        assertThat(result.status()).isEqualTo(CheckStatus.PASS);
        assertThat(result.findings()).isEmpty();
        assertThat(result.summary()).isEqualTo("No session waits on a lock.");
    }

    private static CheckResult run(DataSource dataSource, String applicationName) {
        DbGuard.Builder builder = DbGuard.builder().dataSource(dataSource).checks(List.of(new BlockingLocksCheck()))
                .set("blocking-locks.warnAfter", "100ms").set("blocking-locks.failAfter", "300ms");
        if (applicationName != null) {
            builder.applicationName(applicationName);
        }
        return builder.build().report().result("blocking-locks").orElseThrow();
    }
}
