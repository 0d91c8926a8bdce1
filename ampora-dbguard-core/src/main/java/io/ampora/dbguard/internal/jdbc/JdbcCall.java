package io.ampora.dbguard.internal.jdbc;

import java.sql.SQLException;

/**
 * One call to the wrapped JDBC object, handed through the {@link JdbcHook}s.
 *
 * @param <T> its result type
 */
@FunctionalInterface
public interface JdbcCall<T> {

    /**
     * Makes the call.
     *
     * @return its result
     * @throws SQLException what the driver threw
     */
    T call() throws SQLException;
}
