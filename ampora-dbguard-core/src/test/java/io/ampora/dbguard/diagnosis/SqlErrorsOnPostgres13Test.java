package io.ampora.dbguard.diagnosis;

import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;

/**
 * The SQL error scenarios on PostgreSQL 13, the oldest supported. The two timeouts PostgreSQL 13 does not have are
 * overridden without {@code @Test}, so JUnit runs them only where the setting exists (17 and 18 here) instead of
 * reporting them skipped: CI treats a skipped test as a missing dependency.
 */
@WithPostgres(version = "13")
class SqlErrorsOnPostgres13Test extends SqlErrorScenarios {

    /** {@code transaction_timeout} came with PostgreSQL 17: not a test here. */
    @Override
    void explainsASessionEndedByTransactionTimeoutOnPostgres17AndLater(TestDatabase db) {
    }

    /** {@code idle_session_timeout} came with PostgreSQL 14: not a test here. */
    @Override
    void explainsAConnectionTheServerEndedForIdleSessionTimeoutAsRetryableOnANewConnection(TestDatabase db) {
    }
}
