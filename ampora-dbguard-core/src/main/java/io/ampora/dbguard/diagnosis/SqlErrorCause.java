package io.ampora.dbguard.diagnosis;

import io.ampora.dbguard.check.RunbookSection;
import java.util.Optional;

/**
 * Why a statement of the application failed, in the runbook's terms: each cause with what it means, what to
 * do, the runbook section, the Ampora check that shows the evidence and whether retrying the transaction as it
 * is the right reaction.
 *
 * <p>The runbook says to read the exception message literally, since each has one obvious cause. This enum
 * is that reading for the errors a service meets on its statements in production; {@link SqlErrors} picks
 * the cause from the SQLSTATE and, where one SQLSTATE means several things, from the server's message.
 * Failures to connect are {@link #CONNECTION}, explained by the connection classifier.
 */
public enum SqlErrorCause {
    SERIALIZATION_FAILURE("a concurrent transaction changed rows this SERIALIZABLE or REPEATABLE READ transaction"
            + " read or wrote, so PostgreSQL aborted it to keep the isolation level's promise",
            "Retry the whole transaction from its first statement (not only the failed one), with a short randomized"
                    + " backoff and a bounded number of attempts: under SERIALIZABLE and REPEATABLE READ this is"
                    + " expected. If retries become frequent, shorten the transactions or lower the isolation level"
                    + " where the business rule allows.",
            RunbookSection.BEYOND_RUNBOOK, null, true),
    RECOVERY_CONFLICT("the query ran on a hot standby and WAL replay from the primary needed what it held (rows its"
            + " snapshot still saw, a lock, a buffer), so the standby cancelled it, or ended the session when it sat"
            + " idle in its transaction",
            "Retry on the standby (on a new connection when the session was terminated) or send this read to the"
                    + " primary. If it recurs, the replica-conflicts check counts the conflicts by kind and names the"
                    + " fix for each: raise max_standby_streaming_delay, turn on hot_standby_feedback (costs bloat on"
                    + " the primary), keep long reports off the standby.",
            RunbookSection.REPLICA_LAG, "replica-conflicts", true),
    DEADLOCK("this transaction and another each waited for a lock the other held; PostgreSQL rolled this one back"
            + " so the other could go on",
            "Retry the transaction. To make it rare, take locks in the same order on every code path (update rows"
                    + " sorted by id, lock the parent row before its children) and keep transactions short; the"
                    + " DETAIL names both processes and what they waited for, and log_lock_waits = on puts every wait"
                    + " longer than deadlock_timeout in the server log.",
            RunbookSection.LOCKED_WEDGED, null, true),
    LOCK_TIMEOUT("the statement waited longer than lock_timeout (or NOWAIT) for a lock another session holds",
            "Find who holds the lock: the blocking-locks check names the root blocker's pid, query and age. End or"
                    + " fix that transaction; retry only once it is gone (a migration that sets lock_timeout on"
                    + " purpose may retry a few times).",
            RunbookSection.LOCKED_WEDGED, "blocking-locks", false),
    STATEMENT_TIMEOUT("the statement ran longer than statement_timeout and the server cancelled it",
            "Make the query faster (EXPLAIN ANALYZE it: a missing index, bloat, a plan gone bad); the slow-queries"
                    + " check lists the top statements from pg_stat_statements. Raise statement_timeout only for work"
                    + " that is meant to be long. Retrying as it is runs into the same limit.",
            RunbookSection.SLOW_QUERIES, "slow-queries", false),
    CANCELED_ON_REQUEST("the statement was cancelled by a cancel request: the application's own query timeout"
            + " (JDBC setQueryTimeout, a transaction timeout of the framework, Statement.cancel()) or someone's"
            + " pg_cancel_backend()",
            "If the application set a query timeout, the query is slower than that timeout: see the slow-queries"
                    + " check and EXPLAIN ANALYZE it. Otherwise find who cancels (an operator, a monitoring job) in the"
                    + " server log with log_statement or their own records.",
            RunbookSection.SLOW_QUERIES, "slow-queries", false),
    QUERY_CANCELED("the statement was cancelled, by statement_timeout or by a cancel request (the server's message"
            + " is not in English, so it does not say which)",
            "Read the server's message: with statement_timeout make the query faster (the slow-queries check lists"
                    + " the top statements); with a cancel request find who sent it (the application's query timeout,"
                    + " pg_cancel_backend).",
            RunbookSection.SLOW_QUERIES, "slow-queries", false),
    IDLE_IN_TRANSACTION_TIMEOUT("the server ended the session because it sat idle inside an open transaction"
            + " longer than idle_in_transaction_session_timeout: the code held a transaction open while it did"
            + " something else (a remote call, a slow loop, a forgotten commit)",
            "Find the code path that keeps the transaction open between statements and commit or roll back before"
                    + " the slow work; the idle-in-transaction check shows such sessions live with their last query"
                    + " and application_name. The transaction is lost: the pool replaces the connection.",
            RunbookSection.LOCKED_WEDGED, "idle-in-transaction", false),
    TRANSACTION_TIMEOUT("the server ended the session because its transaction lasted longer than"
            + " transaction_timeout (PostgreSQL 17+)",
            "Shorten the transaction (batch the work, move slow calls out of it); the long-transactions check shows"
                    + " live transactions and their age. The transaction is lost: the pool replaces the connection.",
            RunbookSection.LOCKED_WEDGED, "long-transactions", false),
    IDLE_SESSION_TIMEOUT("the server ended a connection that sat idle in the pool longer than idle_session_timeout,"
            + " and the application then used it",
            "Retry on a new connection: nothing was in progress. Let the pool retire connections before the server"
                    + " does (HikariCP: idleTimeout and maxLifetime below idle_session_timeout, keepaliveTime); the"
                    + " pool-idle-timeout check compares them.",
            RunbookSection.POOL_EXHAUSTED, "pool-idle-timeout", true),
    READ_ONLY_TRANSACTION("the transaction is read-only: the session is on a standby (a failover moved the primary,"
            + " a stale URL or DNS), default_transaction_read_only is on for the database or the role, or the"
            + " application asked for it (Connection.setReadOnly, @Transactional(readOnly = true))",
            "The connectivity check says which: a standby where the primary should be, or the read-only setting with"
                    + " the statement that resets it. Point the application at the primary (targetServerType=primary"
                    + " with several hosts) or write outside the read-only transaction.",
            RunbookSection.CANNOT_CONNECT, "connectivity", false),
    DISK_FULL("the server could not extend a file: the database volume is full, so every write fails",
            "Free space on the database volume: the disk-usage check names the largest tables and what keeps WAL;"
                    + " prune or archive, drop an unused replication slot, or grow the volume.",
            RunbookSection.DISK_FULL, "disk-usage", false),
    OUT_OF_MEMORY("the server could not allocate memory for this statement",
            "For a migration (a JSONB rewrite, an index build) give it the memory it needs in its own transaction"
                    + " (SET LOCAL work_mem / maintenance_work_mem), as runbook 2 says; otherwise lower work_mem or"
                    + " the number of connections, and read the memory context dump in the server log.",
            RunbookSection.CANNOT_MIGRATE, null, false),
    TEMP_FILE_LIMIT("the statement spilled more to temporary files (sorts, hashes larger than work_mem) than"
            + " temp_file_limit allows",
            "Make the query spill less: an index that avoids the sort, a narrower result, more work_mem for this"
                    + " statement only; the temp-files check shows which databases and statements write temporary"
                    + " files. Retrying as it is hits the same limit.",
            RunbookSection.SLOW_QUERIES, "temp-files", false),
    TERMINATED_BY_ADMINISTRATOR("the server ended this session: someone ran pg_terminate_backend() on it (as"
            + " runbook 7 says to do with a session that blocks others) or the server is shutting down",
            "Retry the transaction on a new connection (the pool replaces this one). If it happens often, ask who"
                    + " terminates the application's sessions and why; if the server was shutting down, the"
                    + " connectivity check says whether it is back.",
            RunbookSection.LOCKED_WEDGED, null, true),
    RLS_POLICY_VIOLATION("a row written does not satisfy the table's row-level security policy: its tenant is not"
            + " the tenant bound to the transaction (or none is bound)",
            "Bind the row's tenant before writing (SET LOCAL app.tenant_id, or TenantDataSource), and check the"
                    + " session's role and tenant with the tenant-context check; rls-posture shows the tables'"
                    + " policies.",
            RunbookSection.RLS_LOCKOUT, "tenant-context", false),
    TENANT_NOT_BOUND("a row-level security policy read the tenant setting and found none: it is missing in a new"
            + " session, or '' in a pooled session after an earlier transaction's SET LOCAL ended",
            "Bind the tenant as the first statement of every transaction (SELECT set_config('app.tenant_id', <id>,"
                    + " true), or TenantDataSource); maintenance work needs a role with BYPASSRLS. The tenant-context"
                    + " check shows the session's role and tenant.",
            RunbookSection.RLS_LOCKOUT, "tenant-context", false),
    PERMISSION_DENIED_DDL("the role may not change the schema: it lacks CREATE on the schema (PostgreSQL 15 took it"
            + " from public) or does not own the object it alters",
            "Run migrations as the owner of the schema and its tables, or GRANT CREATE ON SCHEMA ... TO the"
                    + " migrating role; the migration-permissions check names what the role lacks.",
            RunbookSection.CANNOT_MIGRATE, "migration-permissions", false),
    PERMISSION_DENIED("the application's role lacks a privilege on the object, typically a table or sequence a"
            + " migration created as another role without a GRANT",
            "GRANT the privilege to the application's role (and ALTER DEFAULT PRIVILEGES in the migrating role for"
                    + " tables to come), or run the migrations as the role that owns the schema.",
            RunbookSection.CANNOT_MIGRATE, "migration-permissions", false),
    CACHED_PLAN_CHANGED("a migration changed a table while pooled connections kept prepared statements of it: the"
            + " server refuses to run a prepared plan whose result columns changed",
            "Retry: pgjdbc prepares the statement again on its next execution. To avoid it, add autosave=conservative"
                    + " to the JDBC URL (pgjdbc then retries the statement itself), recycle the pool after a"
                    + " migration (HikariPoolMXBean.softEvictConnections()) and name columns instead of SELECT *.",
            RunbookSection.CANNOT_MIGRATE, null, true),
    POOLER_PREPARED_STATEMENTS("a server-side prepared statement (pgjdbc names them S_1, S_2, ...) is missing or"
            + " already exists on the server session: a pooler in transaction mode (PgBouncer) gave the"
            + " connection another server session than the one it was prepared on",
            "Turn off server-side prepared statements for connections through the pooler (prepareThreshold=0 in the"
                    + " JDBC URL) or use PgBouncer 1.21+ with max_prepared_statements; the pooler-prepared-statements"
                    + " check sees the pooler and the driver's settings.",
            RunbookSection.BEYOND_RUNBOOK, "pooler-prepared-statements", false),
    TRANSACTION_ABORTED("an earlier statement of this transaction failed and the error was swallowed (caught and"
            + " ignored); PostgreSQL refuses every statement after it until the transaction ends",
            "Find the first error in this transaction (the log line before this one) and explain that instead; roll"
                    + " back instead of going on after a failed statement, and wrap a statement that may fail on"
                    + " purpose in a SAVEPOINT (or pgjdbc's autosave=conservative).",
            RunbookSection.BEYOND_RUNBOOK, null, false),
    SEQUENCE_BEHIND("a primary key value drawn from its sequence already exists: the sequence is likely behind the"
            + " ids in the table (a restore, or rows inserted with explicit ids)",
            "The sequence-behind-data check compares each sequence with its column's maximum and gives the setval()"
                    + " that fixes it. If it finds nothing, the application itself inserted an existing id.",
            RunbookSection.VERSION_MISMATCH, "sequence-behind-data", false),
    DUPLICATE_KEY("the row duplicates a value a unique constraint allows only once",
            "The DETAIL names the key: the value exists already. Insert with ON CONFLICT, look it up first, or"
                    + " treat it as the user's error; a concurrent insert of the same value also ends here.",
            RunbookSection.BEYOND_RUNBOOK, null, false),
    SCHEMA_BEHIND_CODE("the statement names a table or column the database does not have: the code is newer than"
            + " the schema (a migration not applied, failed or applied elsewhere), or the search_path misses its"
            + " schema",
            "Apply the pending migrations; the migration-state check shows failed and pending ones and schema-version"
                    + " a schema newer than the binary (runbook 8). Check the search_path if the table exists in"
                    + " another schema.",
            RunbookSection.VERSION_MISMATCH, "migration-state", false),
    CONNECTION("the connection failed or was lost",
            "See the connectivity check.",
            RunbookSection.CANNOT_CONNECT, "connectivity", false),
    OTHER("an error the runbook has no entry for",
            "Read the server's message literally; it names the cause.",
            RunbookSection.BEYOND_RUNBOOK, null, false);

    private final String meaning;
    private final String fix;
    private final RunbookSection runbookSection;
    private final String relatedCheck;
    private final boolean retryable;

    SqlErrorCause(String meaning, String fix, RunbookSection runbookSection, String relatedCheck, boolean retryable) {
        this.meaning = meaning;
        this.fix = fix;
        this.runbookSection = runbookSection;
        this.relatedCheck = relatedCheck;
        this.retryable = retryable;
    }

    /** @return what the error means, as a clause (a diagnosis may say more, e.g. for {@link #CONNECTION}) */
    public String meaning() {
        return meaning;
    }

    /** @return what to do about it */
    public String fix() {
        return fix;
    }

    /** @return the runbook section that covers it */
    public RunbookSection runbookSection() {
        return runbookSection;
    }

    /** @return the id of the check that shows the evidence, empty when no check does */
    public Optional<String> relatedCheck() {
        return Optional.ofNullable(relatedCheck);
    }

    /** @return whether retrying the transaction as it is, on a new connection where the session ended, is right */
    public boolean retryable() {
        return retryable;
    }
}
