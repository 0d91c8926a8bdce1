package io.ampora.dbguard.rls;

/**
 * What a {@link TenantDataSource} does with a statement on an autocommit connection, where a
 * transaction-local setting would last only for the {@code set_config} statement itself.
 */
public enum AutocommitPolicy {
    /**
     * The default: refuse the statement with a {@link TenantException}. Tenant work belongs in
     * transactions ({@code setAutoCommit(false)}, Hikari's {@code autoCommit=false}, Spring's
     * {@code @Transactional}); refusing keeps the cost at one bind per transaction.
     */
    REFUSE,
    /**
     * Run each autocommit statement in a transaction of its own: turn autocommit off, bind, run the
     * statement, commit, turn autocommit back on. Correct, but it costs two extra round trips per
     * statement (the bind and the commit), and a {@code ResultSet} read with a fetch size (a cursor)
     * is closed by the commit.
     */
    BIND_PER_STATEMENT
}
