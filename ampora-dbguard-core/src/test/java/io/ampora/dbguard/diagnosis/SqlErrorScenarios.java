package io.ampora.dbguard.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.runbook.locks.LockScenario;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.PgBouncer;
import io.ampora.dbguard.testing.TestDatabase;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import org.postgresql.util.PSQLException;

/**
 * Every error {@link SqlErrors} knows, reproduced for real on PostgreSQL and explained from the exception pgjdbc
 * threw. Runs on the versions its subclasses name ({@link SqlErrorsTest} the build's default, and the oldest and
 * newest supported).
 */
abstract class SqlErrorScenarios {

    private static final Duration WITHIN = Duration.ofSeconds(20);
    private static final String TENANT_A = "11111111-1111-4111-8111-111111111111";
    private static final String TENANT_B = "22222222-2222-4222-8222-222222222222";

    private final ExecutorService background = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "sql-error-scenario");
        t.setDaemon(true);
        return t;
    });

    @AfterEach
    void stopBackground() {
        background.shutdownNow();
    }

    @Test
    void explainsASerializationFailureBetweenTwoRepeatableReadTransactionsAsRetryable(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE rr_accounts (id int PRIMARY KEY, balance int); INSERT INTO rr_accounts VALUES (1, 100)");
        try (Connection a = db.dataSource().getConnection(); Connection b = db.dataSource().getConnection()) {
            a.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            a.setAutoCommit(false);
            query(a, "SELECT balance FROM rr_accounts WHERE id = 1");
            execute(b, "UPDATE rr_accounts SET balance = 50 WHERE id = 1");

            SQLException e = fails(() -> execute(a, "UPDATE rr_accounts SET balance = balance - 10 WHERE id = 1"));
            a.rollback();

            SqlErrorDiagnosis d = explained(e, SqlErrorCause.SERIALIZATION_FAILURE, "40001");
            assertThat(d.message()).isEqualTo("could not serialize access due to concurrent update");
            assertThat(d.retryable()).isTrue();
            assertThat(d.fix()).contains("Retry the whole transaction");
            assertThat(d.relatedCheck()).isEmpty();
        }
    }

    @Test
    void explainsADeadlockBetweenTwoSessionsAsRetryable(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE dl_items (id int PRIMARY KEY, n int); INSERT INTO dl_items VALUES (1, 0), (2, 0)");
        try (Connection a = db.dataSource().getConnection(); Connection b = db.dataSource().getConnection()) {
            // b detects the deadlock (and is its victim) long before a would look
            execute(a, "SET deadlock_timeout = '20s'");
            execute(b, "SET deadlock_timeout = '100ms'");
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            execute(a, "UPDATE dl_items SET n = n + 1 WHERE id = 1");
            execute(b, "UPDATE dl_items SET n = n + 1 WHERE id = 2");
            int aPid = pid(a);
            Future<?> aWaits = background.submit(() -> {
                execute(a, "UPDATE dl_items SET n = n + 1 WHERE id = 2");
                return null;
            });
            awaitLockWait(db, aPid);

            SQLException e = fails(() -> execute(b, "UPDATE dl_items SET n = n + 1 WHERE id = 1"));
            b.rollback();
            aWaits.get(WITHIN.toSeconds(), TimeUnit.SECONDS);
            a.rollback();

            SqlErrorDiagnosis d = explained(e, SqlErrorCause.DEADLOCK, "40P01");
            assertThat(d.message()).isEqualTo("deadlock detected");
            assertThat(d.detail()).contains("Process " + aPid + " waits for ShareLock on transaction");
            assertThat(d.retryable()).isTrue();
            assertThat(d.runbookSection()).isEqualTo(RunbookSection.LOCKED_WEDGED);
            assertThat(d.fix()).contains("same order", "log_lock_waits");
        }
    }

    @Test
    void explainsALockTimeoutAsALockSomeoneHoldsAndPointsAtBlockingLocks(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE lt_orders (id int)");
        try (LockScenario scenario = new LockScenario(db);
             Connection app = db.dataSource().getConnection()) {
            scenario.hold("psql", "LOCK TABLE lt_orders IN ACCESS EXCLUSIVE MODE");
            execute(app, "SET lock_timeout = '100ms'");

            SQLException e = fails(() -> execute(app, "INSERT INTO lt_orders VALUES (1)"));

            SqlErrorDiagnosis d = explained(e, SqlErrorCause.LOCK_TIMEOUT, "55P03");
            assertThat(d.message()).isEqualTo("canceling statement due to lock timeout");
            assertThat(d.relatedCheck()).contains("blocking-locks");
            assertThat(d.runbookSection()).isEqualTo(RunbookSection.LOCKED_WEDGED);
            assertThat(d.retryable()).isFalse();
        }
    }

    @Test
    void explainsAStatementTimeoutAsASlowQuery(TestDatabase db) throws Exception {
        try (Connection app = db.dataSource().getConnection()) {
            execute(app, "SET statement_timeout = '100ms'");

            SQLException e = fails(() -> query(app, "SELECT pg_catalog.pg_sleep(30)"));

            SqlErrorDiagnosis d = explained(e, SqlErrorCause.STATEMENT_TIMEOUT, "57014");
            assertThat(d.message()).isEqualTo("canceling statement due to statement timeout");
            assertThat(d.relatedCheck()).contains("slow-queries");
            assertThat(d.runbookSection()).isEqualTo(RunbookSection.SLOW_QUERIES);
            assertThat(d.retryable()).isFalse();
        }
    }

    @Test
    void explainsTheApplicationsOwnQueryTimeoutAsACancelRequestNotAStatementTimeout(TestDatabase db) throws Exception {
        try (Connection app = db.dataSource().getConnection(); Statement st = app.createStatement()) {
            st.setQueryTimeout(1); // pgjdbc sends a cancel request: the server says "user request"

            SQLException e = fails(() -> st.executeQuery("SELECT pg_catalog.pg_sleep(30)").close());

            SqlErrorDiagnosis d = explained(e, SqlErrorCause.CANCELED_ON_REQUEST, "57014");
            assertThat(d.message()).isEqualTo("canceling statement due to user request");
            assertThat(d.meaning()).contains("setQueryTimeout", "pg_cancel_backend()");
        }
    }

    @Test
    void explainsASessionEndedByIdleInTransactionTimeoutAsCodeHoldingATransactionOpen(TestDatabase db)
            throws Exception {
        try (Connection app = db.dataSource().getConnection()) {
            int pid = pid(app);
            execute(app, "SET idle_in_transaction_session_timeout = '100ms'");
            app.setAutoCommit(false);
            query(app, "SELECT 1");
            awaitGone(db, pid);

            SQLException e = fails(() -> query(app, "SELECT 2"));

            SqlErrorDiagnosis d = explained(e, SqlErrorCause.IDLE_IN_TRANSACTION_TIMEOUT, "25P03");
            assertThat(d.message()).isEqualTo("terminating connection due to idle-in-transaction timeout");
            assertThat(d.relatedCheck()).contains("idle-in-transaction");
            assertThat(d.retryable()).isFalse();
        }
    }

    @Test
    void explainsASessionEndedByTransactionTimeoutOnPostgres17AndLater(TestDatabase db) throws Exception {
        Assumptions.assumeTrue(db.server().majorVersion() >= 17, "transaction_timeout came with PostgreSQL 17");
        try (Connection app = db.dataSource().getConnection()) {
            execute(app, "SET transaction_timeout = '200ms'");
            app.setAutoCommit(false);

            SQLException e = fails(() -> query(app, "SELECT pg_catalog.pg_sleep(30)"));

            SqlErrorDiagnosis d = explained(e, SqlErrorCause.TRANSACTION_TIMEOUT, "25P04");
            assertThat(d.message()).isEqualTo("terminating connection due to transaction timeout");
            assertThat(d.relatedCheck()).contains("long-transactions");
        }
    }

    @Test
    void explainsAConnectionTheServerEndedForIdleSessionTimeoutAsRetryableOnANewConnection(TestDatabase db)
            throws Exception {
        Assumptions.assumeTrue(db.server().majorVersion() >= 14, "idle_session_timeout came with PostgreSQL 14");
        try (Connection pooled = db.dataSource().getConnection()) {
            int pid = pid(pooled);
            execute(pooled, "SET idle_session_timeout = '100ms'");
            awaitGone(db, pid);

            SQLException e = fails(() -> query(pooled, "SELECT 1"));

            SqlErrorDiagnosis d = explained(e, SqlErrorCause.IDLE_SESSION_TIMEOUT, "57P05");
            assertThat(d.message()).isEqualTo("terminating connection due to idle-session timeout");
            assertThat(d.relatedCheck()).contains("pool-idle-timeout");
            assertThat(d.runbookSection()).isEqualTo(RunbookSection.POOL_EXHAUSTED);
            assertThat(d.retryable()).isTrue();
        }
    }

    @Test
    void explainsAWriteInAReadOnlyTransactionAndPointsAtConnectivity(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE ro_orders (id int)");
        try (Connection app = db.dataSource().getConnection()) {
            execute(app, "SET default_transaction_read_only = on");

            SQLException e = fails(() -> execute(app, "INSERT INTO ro_orders VALUES (1)"));

            SqlErrorDiagnosis d = explained(e, SqlErrorCause.READ_ONLY_TRANSACTION, "25006");
            assertThat(d.message()).isEqualTo("cannot execute INSERT in a read-only transaction");
            assertThat(d.relatedCheck()).contains("connectivity");
            assertThat(d.runbookSection()).isEqualTo(RunbookSection.CANNOT_CONNECT);
            assertThat(d.meaning()).contains("standby", "default_transaction_read_only");
        }
    }

    @Test
    void explainsASortThatSpillsPastTempFileLimitAndNamesTheTempFilesCheck(TestDatabase db) throws Exception {
        try (Connection app = db.dataSource().getConnection()) {
            execute(app, "SET temp_file_limit = '100kB'");
            execute(app, "SET work_mem = '64kB'");

            SQLException e = fails(() -> query(app,
                    "SELECT g FROM pg_catalog.generate_series(1, 200000) g ORDER BY g DESC"));

            // configuration_limit_exceeded, not 54000 (program_limit_exceeded)
            SqlErrorDiagnosis d = explained(e, SqlErrorCause.TEMP_FILE_LIMIT, "53400");
            // PostgreSQL 18 quotes the setting's name
            assertThat(d.message()).matches("temporary file size exceeds \"?temp_file_limit\"? \\(100kB\\)");
            assertThat(d.relatedCheck()).contains("temp-files");
            assertThat(d.runbookSection()).isEqualTo(RunbookSection.SLOW_QUERIES);
        }
    }

    @Test
    void explainsASessionTerminatedWithPgTerminateBackendAsRetryableOnANewConnection(TestDatabase db)
            throws Exception {
        try (Connection app = db.dataSource().getConnection()) {
            int pid = pid(app);
            db.execute("SELECT pg_catalog.pg_terminate_backend(" + pid + ")");
            awaitGone(db, pid);

            SQLException e = fails(() -> query(app, "SELECT 1"));

            SqlErrorDiagnosis d = explained(e, SqlErrorCause.TERMINATED_BY_ADMINISTRATOR, "57P01");
            assertThat(d.message()).isEqualTo("terminating connection due to administrator command");
            assertThat(d.retryable()).isTrue();
        }
    }

    @Test
    void explainsRowLevelSecurityRefusalsAsTheTenantNotTheRole(TestDatabase db) throws Exception {
        String role = db.name() + "_app";
        db.createRole(role, "Tenant-Pw-1", "");
        db.execute("CREATE TABLE rls_orders (id int, tenant_id uuid);"
                + " INSERT INTO rls_orders VALUES (1, '" + TENANT_A + "');"
                + " ALTER TABLE rls_orders ENABLE ROW LEVEL SECURITY; ALTER TABLE rls_orders FORCE ROW LEVEL SECURITY;"
                + " CREATE POLICY tenant_isolation ON rls_orders"
                + "   USING (tenant_id = current_setting('app.tenant_id')::uuid)"
                + "   WITH CHECK (tenant_id = current_setting('app.tenant_id')::uuid);"
                + " GRANT SELECT, INSERT ON rls_orders TO " + role);
        try (Connection fresh = db.dataSource(role, "Tenant-Pw-1").getConnection();
             Connection pooled = db.dataSource(role, "Tenant-Pw-1").getConnection()) {
            // a new session that never bound a tenant: the setting does not exist
            SqlErrorDiagnosis unset = explained(fails(() -> query(fresh, "SELECT count(*) FROM rls_orders")),
                    SqlErrorCause.TENANT_NOT_BOUND, "42704");
            assertThat(unset.message()).isEqualTo("unrecognized configuration parameter \"app.tenant_id\"");
            assertThat(unset.relatedCheck()).contains("tenant-context");
            assertThat(unset.runbookSection()).isEqualTo(RunbookSection.RLS_LOCKOUT);

            // a pooled session after an earlier transaction's SET LOCAL: the setting is ''
            pooled.setAutoCommit(false);
            execute(pooled, "SET LOCAL app.tenant_id = '" + TENANT_A + "'");
            query(pooled, "SELECT count(*) FROM rls_orders");
            pooled.commit();
            SqlErrorDiagnosis empty = explained(fails(() -> query(pooled, "SELECT count(*) FROM rls_orders")),
                    SqlErrorCause.TENANT_NOT_BOUND, "22P02");
            assertThat(empty.message()).isEqualTo("invalid input syntax for type uuid: \"\"");
            pooled.rollback();

            // a row of another tenant
            execute(pooled, "SET LOCAL app.tenant_id = '" + TENANT_A + "'");
            SqlErrorDiagnosis other = explained(fails(() -> execute(pooled,
                    "INSERT INTO rls_orders VALUES (2, '" + TENANT_B + "')")), SqlErrorCause.RLS_POLICY_VIOLATION, "42501");
            assertThat(other.message()).isEqualTo("new row violates row-level security policy for table \"rls_orders\"");
            assertThat(other.relatedCheck()).contains("tenant-context");
            pooled.rollback();
        }
    }

    @Test
    void explainsAMissingGrantAndAMissingSchemaPrivilegeApart(TestDatabase db) throws Exception {
        String role = db.name() + "_ddl";
        db.createRole(role, "Grant-Pw-1", "");
        db.execute("CREATE SCHEMA \"Billing Schema\"; GRANT USAGE ON SCHEMA \"Billing Schema\" TO " + role
                + "; CREATE TABLE \"Billing Schema\".invoices (id int)");
        try (Connection app = db.dataSource(role, "Grant-Pw-1").getConnection()) {
            SqlErrorDiagnosis dml = explained(fails(() -> query(app, "SELECT * FROM \"Billing Schema\".invoices")),
                    SqlErrorCause.PERMISSION_DENIED, "42501");
            assertThat(dml.message()).isEqualTo("permission denied for table invoices");
            assertThat(dml.fix()).contains("GRANT", "ALTER DEFAULT PRIVILEGES");

            SqlErrorDiagnosis ddl = explained(fails(() -> execute(app, "CREATE TABLE \"Billing Schema\".refunds (id int)")),
                    SqlErrorCause.PERMISSION_DENIED_DDL, "42501");
            assertThat(ddl.message()).isEqualTo("permission denied for schema Billing Schema");
            assertThat(ddl.relatedCheck()).contains("migration-permissions");
            assertThat(ddl.runbookSection()).isEqualTo(RunbookSection.CANNOT_MIGRATE);

            SqlErrorDiagnosis owner = explained(fails(() -> execute(app,
                    "ALTER TABLE \"Billing Schema\".invoices ADD COLUMN note text")), SqlErrorCause.PERMISSION_DENIED_DDL,
                    "42501");
            assertThat(owner.message()).isEqualTo("must be owner of table invoices");
        }
    }

    @Test
    void explainsAPreparedStatementWhoseTableAMigrationChangedAsACachedPlan(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE cp_orders (id int); INSERT INTO cp_orders VALUES (1)");
        PGSimpleDataSource pooled = db.dataSource();
        pooled.setPrepareThreshold(1); // the pool's statement is prepared on the server from its first execution
        try (Connection app = pooled.getConnection(); PreparedStatement ps = app.prepareStatement("SELECT * FROM cp_orders")) {
            app.setAutoCommit(false);
            ps.executeQuery().close();
            ps.executeQuery().close();
            app.commit();
            db.execute("ALTER TABLE cp_orders ADD COLUMN note text"); // the migration

            SQLException e = fails(() -> ps.executeQuery().close());
            app.rollback();

            SqlErrorDiagnosis d = explained(e, SqlErrorCause.CACHED_PLAN_CHANGED, "0A000");
            assertThat(d.message()).isEqualTo("cached plan must not change result type");
            assertThat(d.fix()).contains("autosave=conservative", "softEvictConnections");
            assertThat(d.retryable()).isTrue();
            ps.executeQuery().close(); // retried: pgjdbc prepared it again
        }
    }

    @Test
    void explainsPreparedStatementsLostBehindPgBouncerInTransactionMode(TestDatabase db) throws Exception {
        PgBouncer.assumeInstalled();
        try (PgBouncer bouncer = PgBouncer.start(db.server().port(), db.name(), db.server().adminUser(), 2)) {
            PGSimpleDataSource application = new PGSimpleDataSource();
            application.setUrl(bouncer.jdbcUrl(db.name()));
            application.setUser(db.server().adminUser());
            application.setPassword(db.server().adminPassword());

            List<SQLException> failures = statementMovedToAnotherServerSession(application);

            assertThat(failures).hasSize(2);
            SqlErrorDiagnosis missing = explained(failures.get(0), SqlErrorCause.POOLER_PREPARED_STATEMENTS, "26000");
            assertThat(missing.message()).isEqualTo("prepared statement \"S_1\" does not exist");
            assertThat(missing.relatedCheck()).contains("pooler-prepared-statements");
            assertThat(missing.fix()).contains("prepareThreshold=0");
            explained(failures.get(1), SqlErrorCause.POOLER_PREPARED_STATEMENTS, "42P05");
        }
    }

    @Test
    void explainsAnAbortedTransactionAsAnEarlierErrorSwallowed(TestDatabase db) throws Exception {
        try (Connection app = db.dataSource().getConnection()) {
            app.setAutoCommit(false);
            fails(() -> query(app, "SELECT 1 / 0")); // caught and ignored, as the bug does

            SQLException e = fails(() -> query(app, "SELECT 1"));
            app.rollback();

            SqlErrorDiagnosis d = explained(e, SqlErrorCause.TRANSACTION_ABORTED, "25P02");
            assertThat(d.message()).isEqualTo("current transaction is aborted, commands ignored until end of transaction block");
            assertThat(d.fix()).contains("first error", "SAVEPOINT");
            assertThat(d.retryable()).isFalse();
        }
    }

    @Test
    void explainsADuplicatePrimaryKeyFromABehindSequenceAsLikelySequenceBehindData(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE sb_orders (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, note text);"
                + " INSERT INTO sb_orders (id, note) VALUES (1, 'restored'), (2, 'restored')"); // ids as a restore writes them

        SQLException e = fails(() -> db.execute("INSERT INTO sb_orders (note) VALUES ('new')"));

        SqlErrorDiagnosis d = explained(e, SqlErrorCause.SEQUENCE_BEHIND, "23505");
        assertThat(d.message()).isEqualTo("duplicate key value violates unique constraint \"sb_orders_pkey\"");
        assertThat(d.detail()).isEqualTo("Key (id)=(1) already exists.");
        assertThat(d.relatedCheck()).contains("sequence-behind-data");
        assertThat(d.runbookSection()).isEqualTo(RunbookSection.VERSION_MISMATCH);
        assertThat(d.meaning()).contains("likely");
    }

    @Test
    void explainsADuplicateOfAnotherUniqueKeyAsAPlainDuplicate(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE dk_customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text UNIQUE);"
                + " CREATE TABLE dk_countries (code text PRIMARY KEY);"
                + " INSERT INTO dk_customers (email) VALUES ('a@example.com'); INSERT INTO dk_countries VALUES ('DE')");

        SqlErrorDiagnosis email = explained(fails(() -> db.execute("INSERT INTO dk_customers (email) VALUES ('a@example.com')")),
                SqlErrorCause.DUPLICATE_KEY, "23505");
        SqlErrorDiagnosis textKey = explained(fails(() -> db.execute("INSERT INTO dk_countries VALUES ('DE')")),
                SqlErrorCause.DUPLICATE_KEY, "23505");

        assertThat(email.detail()).isEqualTo("Key (email)=(a@example.com) already exists.");
        assertThat(textKey.message()).contains("dk_countries_pkey");
        assertThat(email.relatedCheck()).isEmpty();
    }

    @Test
    void explainsAMissingTableOrColumnAsCodeNewerThanTheSchema(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE sv_orders (id int)");

        SqlErrorDiagnosis table = explained(fails(() -> db.execute("SELECT * FROM sv_refunds")),
                SqlErrorCause.SCHEMA_BEHIND_CODE, "42P01");
        SqlErrorDiagnosis column = explained(fails(() -> db.execute("SELECT note FROM sv_orders")),
                SqlErrorCause.SCHEMA_BEHIND_CODE, "42703");

        assertThat(table.message()).isEqualTo("relation \"sv_refunds\" does not exist");
        assertThat(column.message()).isEqualTo("column \"note\" does not exist");
        assertThat(table.relatedCheck()).contains("migration-state");
        assertThat(table.runbookSection()).isEqualTo(RunbookSection.VERSION_MISMATCH);
    }

    @Test
    void explainsTheFailedEntryOfABatchThroughItsNextException(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE bt_orders (code text PRIMARY KEY); INSERT INTO bt_orders VALUES ('b')");
        try (Connection app = db.dataSource().getConnection();
             PreparedStatement ps = app.prepareStatement("INSERT INTO bt_orders VALUES (?)")) {
            for (String code : new String[] {"a", "b", "c"}) {
                ps.setString(1, code);
                ps.addBatch();
            }

            BatchUpdateException e = catchThrowableOfType(BatchUpdateException.class, ps::executeBatch);

            assertThat((Throwable) e).as("pgjdbc's batch failure").isNotNull();
            SqlErrorDiagnosis d = SqlErrors.explain(new RuntimeException("wrapped by a framework", e));
            assertThat(d.cause()).isEqualTo(SqlErrorCause.DUPLICATE_KEY);
            assertThat(d.message()).isEqualTo("duplicate key value violates unique constraint \"bt_orders_pkey\"");
            assertThat(d.detail()).isEqualTo("Key (code)=(b) already exists.");
        }
    }

    @Test
    void masksASecretTheServerEchoesInItsMessage(TestDatabase db) {
        SQLException e = fails(() -> db.execute("SELECT 'password=Hunter2-Secret'::int"));

        SqlErrorDiagnosis d = SqlErrors.explain(e);

        assertThat(e.getMessage()).contains("Hunter2-Secret"); // what the driver said
        assertThat(d.message()).isEqualTo("invalid input syntax for type integer: \"password=****\"");
        assertThat(d.toText() + d.toJson()).doesNotContain("Hunter2-Secret");
        assertThat(d.cause()).isEqualTo(SqlErrorCause.OTHER);
        assertThat(d.meaning()).contains("22P02", "class 22 (data exception)");
    }

    @Test
    void explainsARefusedConnectionThroughTheConnectionClassifier(TestDatabase db) throws Exception {
        PGSimpleDataSource unknown = db.dataSource();
        unknown.setDatabaseName(db.name() + "_missing");

        SQLException e = fails(() -> unknown.getConnection().close());

        SqlErrorDiagnosis d = explained(e, SqlErrorCause.CONNECTION, "3D000");
        assertThat(d.meaning()).contains("DATABASE_DOES_NOT_EXIST", "does not exist");
        assertThat(d.fix()).contains("CREATE DATABASE");
        assertThat(d.relatedCheck()).contains("connectivity");
        assertThat(d.runbookSection()).isEqualTo(RunbookSection.CANNOT_CONNECT);
    }

    /** Explains what pgjdbc threw and checks the cause and that the SQLSTATE is PostgreSQL's. */
    private static SqlErrorDiagnosis explained(SQLException e, SqlErrorCause cause, String sqlState) {
        assertThat((Throwable) e).as("pgjdbc's exception").isInstanceOf(PSQLException.class);
        assertThat(e.getSQLState()).as("what PostgreSQL said: " + e.getMessage()).isEqualTo(sqlState);
        SqlErrorDiagnosis d = SqlErrors.explain(e);
        assertThat(d.cause()).as(d.toText()).isEqualTo(cause);
        assertThat(d.sqlState()).isEqualTo(sqlState);
        assertThat(d.meaning()).isNotBlank();
        assertThat(d.fix()).isNotBlank();
        assertThat(d.runbookSection()).isEqualTo(cause == SqlErrorCause.CONNECTION ? RunbookSection.CANNOT_CONNECT
                : cause.runbookSection());
        assertThat(d.relatedCheck()).isEqualTo(cause == SqlErrorCause.CONNECTION ? Optional.of("connectivity")
                : cause.relatedCheck());
        return d;
    }

    /** A statement expected to fail; what it threw. */
    private static SQLException fails(org.assertj.core.api.ThrowableAssert.ThrowingCallable statement) {
        SQLException e = catchThrowableOfType(SQLException.class, statement);
        assertThat((Throwable) e).as("the statement should have failed").isNotNull();
        return e;
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static void query(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                // read it all
            }
        }
    }

    private static int pid(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void awaitGone(TestDatabase db, int pid) throws InterruptedException {
        Await.until("the server to end pid " + pid, WITHIN, () -> "0".equals(db.queryString(
                "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE pid = " + pid)));
    }

    private static void awaitLockWait(TestDatabase db, int pid) throws InterruptedException {
        Await.until("pid " + pid + " to wait for a lock", WITHIN, () -> "Lock".equals(db.queryString(
                "SELECT wait_event_type FROM pg_catalog.pg_stat_activity WHERE pid = " + pid)));
    }

    /**
     * The application's prepared statement named "S_1" on one server session (its 5th execution), run again in a
     * transaction PgBouncer gives another server session, then the second client's ROLLBACK, also named "S_1",
     * on the session where the first one's statement is: as in PoolerPreparedStatementsCheckTest.
     */
    private static List<SQLException> statementMovedToAnotherServerSession(PGSimpleDataSource application)
            throws SQLException {
        List<SQLException> failures = new ArrayList<>();
        try (Connection a = application.getConnection(); Connection b = application.getConnection();
             PreparedStatement ps = a.prepareStatement("SELECT pg_catalog.pg_backend_pid()")) {
            for (int i = 0; i < 5; i++) {
                ps.executeQuery().close();
            }
            b.setAutoCommit(false);
            query(b, "SELECT pg_catalog.pg_backend_pid()");
            a.setAutoCommit(false);
            try {
                ps.executeQuery().close();
            } catch (SQLException e) {
                failures.add(e);
            }
            a.rollback();
            try {
                b.rollback();
            } catch (SQLException e) {
                failures.add(e);
            }
        }
        return failures;
    }
}
