package io.ampora.dbguard.runbook.locks;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.runbook.maintenance.TxidWraparoundCheck;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;

@WithPostgres(settings = "max_prepared_transactions=10")
class PreparedTransactionsCheckTest {

    /** A gid with a quote in it: the ROLLBACK PREPARED statement from the finding must still run. */
    private static final String GID = "order-42 'retry'";
    private static final String GID_LITERAL = "'order-42 ''retry'''";

    @Test
    void namesTheOrphanedPreparedTransactionWhoseRowLockASessionWaitsOn(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int); INSERT INTO accounts VALUES (1, 10)");
        db.createRole("pt_xa_owner", "xa-pw", "");
        db.execute("GRANT SELECT, UPDATE ON accounts TO pt_xa_owner");
        try (LockScenario scenario = new LockScenario(db)) {
            prepare(db.openSession("pt_xa_owner", "xa-pw"), "UPDATE accounts SET balance = 20 WHERE id = 1");
            try {
                int waiter = scenario.waitOn("orders-service", "UPDATE accounts SET balance = 30 WHERE id = 1");
                scenario.awaitWaiting(Duration.ofMillis(400), waiter);

                CheckResult prepared = Checks.run(db.dataSource(), new PreparedTransactionsCheck(),
                        "warnAfter", "100ms", "failAfter", "300ms");

                assertThat(prepared.status()).isEqualTo(CheckStatus.FAIL);
                Finding f = prepared.findings().get(0);
                assertThat(f.details())
                        .containsEntry("gid", GID)
                        .containsEntry("owner", "pt_xa_owner")
                        .containsEntry("database", db.name())
                        .containsEntry("waitingPids", String.valueOf(waiter))
                        .containsEntry("rollback", "ROLLBACK PREPARED " + GID_LITERAL)
                        .containsEntry("commit", "COMMIT PREPARED " + GID_LITERAL);
                assertThat((String) f.details().get("lockedObjects")).contains("public.accounts");
                assertThat((Long) f.details().get("locks")).isGreaterThanOrEqualTo(2L);
                assertThat(f.message()).startsWith("Prepared transaction " + GID_LITERAL + " (owner pt_xa_owner, database "
                                + db.name() + ") has been prepared for ")
                        .contains("1 session waits on it (pid " + waiter + ")", "holds back vacuum's horizon and freezing",
                                "nothing to terminate", "connect to database " + db.name() + " and run ROLLBACK PREPARED "
                                        + GID_LITERAL);
                assertThat(prepared.remediation()).contains("ROLLBACK PREPARED " + GID_LITERAL, "COMMIT PREPARED");

                CheckResult blocking = Checks.run(db.dataSource(), new BlockingLocksCheck(),
                        "warnAfter", "100ms", "failAfter", "300ms");

                assertThat(blocking.status()).isEqualTo(CheckStatus.FAIL);
                assertThat(blocking.findings()).singleElement().satisfies(b -> {
                    assertThat(b.details())
                            .containsEntry("pid", 0)
                            .containsEntry("gid", GID)
                            .containsEntry("owner", "pt_xa_owner")
                            .containsEntry("database", db.name())
                            .containsEntry("rollback", "ROLLBACK PREPARED " + GID_LITERAL)
                            .containsEntry("waiters", 1)
                            .doesNotContainKey("terminate");
                    assertThat((String) b.details().get("preparedAge")).isNotBlank();
                    assertThat(b.message()).startsWith("The prepared transaction " + GID_LITERAL + " (owner pt_xa_owner,"
                                    + " database " + db.name() + ", prepared ")
                            .contains("holds row locks (transaction ", "ROLLBACK PREPARED " + GID_LITERAL)
                            .doesNotContain("pg_terminate_backend");
                });
                assertThat(blocking.remediation()).contains("ROLLBACK PREPARED " + GID_LITERAL);

                CheckResult longTransactions = Checks.run(db.dataSource(), new LongTransactionsCheck(),
                        "warnAfter", "100ms", "failAfter", "1h");

                assertThat(longTransactions.status()).isEqualTo(CheckStatus.WARN);
                assertThat(Checks.withDetail(longTransactions, "gid", GID)).singleElement()
                        .satisfies(l -> assertThat(l.message()).contains("holds back vacuum by", "ROLLBACK PREPARED " + GID_LITERAL));

                burnTransactionIds(db, 30);
                CheckResult wraparound = Checks.run(db.dataSource(), new TxidWraparoundCheck(),
                        "warnPercent", "0.0000001", "failPercent", "0.000001");

                assertThat(Checks.withDetail(wraparound, "horizonHolder", "prepared transaction")).singleElement()
                        .satisfies(w -> {
                            assertThat(w.details()).containsEntry("name", GID_LITERAL).containsEntry("database", db.name())
                                    .containsEntry("fix", "ROLLBACK PREPARED " + GID_LITERAL);
                            assertThat((Long) w.details().get("xidAge")).isGreaterThanOrEqualTo(30L);
                        });
                assertThat(wraparound.remediation()).contains("ROLLBACK PREPARED " + GID_LITERAL);

                // the statement from the finding, run as given, ends it and releases the waiter
                db.execute((String) f.details().get("rollback"));
                Checks.await("the waiter to get the row lock",
                        () -> "0".equals(db.queryString("SELECT count(*) FROM pg_locks WHERE NOT granted")));
                CheckResult after = Checks.run(db.dataSource(), new PreparedTransactionsCheck());
                assertThat(after.status()).isEqualTo(CheckStatus.PASS);
                assertThat(after.summary()).isEqualTo("No prepared transaction.");
            } finally {
                rollbackIfLeft(db);
            }
        }
    }

    @Test
    void staysQuietWhileAPreparedTransactionIsYoungerThanWarnAfter(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE brief (id int)");
        prepare(db.openSession(), "INSERT INTO brief VALUES (1)");
        try {
            CheckResult result = Checks.run(db.dataSource(), new PreparedTransactionsCheck());

            assertThat(result.status()).isEqualTo(CheckStatus.PASS);
            assertThat(result.findings()).isEmpty();
            assertThat(result.summary()).startsWith("1 prepared transaction, none older than 5m00s (warnAfter); the oldest, "
                    + GID_LITERAL + ", was prepared ");
        } finally {
            rollbackIfLeft(db);
        }
    }

    /** Runs the statements in a transaction and prepares it under {@link #GID}; the session is then free. */
    static void prepare(Connection session, String... sql) throws Exception {
        session.setAutoCommit(false);
        try (Statement st = session.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
            st.execute("PREPARE TRANSACTION " + GID_LITERAL);
        }
        session.setAutoCommit(true);
    }

    static void rollbackIfLeft(TestDatabase db) throws Exception {
        if (!"0".equals(db.queryString("SELECT count(*) FROM pg_prepared_xacts WHERE gid = " + GID_LITERAL))) {
            db.execute("ROLLBACK PREPARED " + GID_LITERAL);
        }
    }

    private static void burnTransactionIds(TestDatabase db, int count) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            for (int i = 0; i < count; i++) {
                st.execute("SELECT txid_current()");
            }
        }
    }
}
