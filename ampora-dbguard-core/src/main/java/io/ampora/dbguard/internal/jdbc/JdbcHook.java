package io.ampora.dbguard.internal.jdbc;

import java.sql.SQLException;

/**
 * What a module adds to a {@link LayeredConnection}: the pool's lease tracking, the query timer, the tenant
 * binding. Every method has a do-nothing default. Hooks compose on one connection in the order they were added
 * (the documented order pool, then timer, then tenant): {@link #execute} of the hook added last runs outermost,
 * the events below reach the hooks in the order they were added. A hook instance may be per connection (it is
 * told its connection in {@link #attached}) or shared.
 */
public interface JdbcHook {

    /**
     * The hook was added to a connection: it was just borrowed and is not yet in the application's hands.
     *
     * @param connection the layer's connection
     */
    default void attached(LayeredConnection connection) {
    }

    /**
     * Around one statement execution ({@code execute*}) or a {@code setSavepoint}: call {@code call.call()}
     * (or throw before it, or not call it at all) and return its result.
     *
     * @param statement the layer's statement; null for a {@code setSavepoint}
     * @param sql       the statement's SQL (given to the execute call, or prepared with); null for a batch of a
     *                  plain statement or a savepoint
     * @param call      the next hook or the delegate's call
     * @return what the call returned
     * @param <T>       the result type
     * @throws SQLException what the call threw, or the hook's refusal
     */
    default <T> T execute(LayeredStatement statement, String sql, JdbcCall<T> call) throws SQLException {
        return call.call();
    }

    /**
     * A statement of the connection was closed.
     *
     * @param statement the layer's statement
     */
    default void statementClosed(LayeredStatement statement) {
    }

    /**
     * The transaction ended through the connection: {@code commit()}, {@code rollback()} (not to a savepoint)
     * or {@code setAutoCommit(...)} returned.
     *
     * @param connection the layer's connection
     */
    default void transactionEnded(LayeredConnection connection) {
    }

    /**
     * The connection is being closed (or aborted) through the layer, the first time; called before the
     * delegate's close (which happens also when this throws).
     *
     * @param connection the layer's connection
     */
    default void connectionClosing(LayeredConnection connection) {
    }

    /**
     * The connection was closed (or aborted) through the layer, the first time; called after the delegate's
     * close, also when that threw.
     *
     * @param connection the layer's connection
     */
    default void connectionClosed(LayeredConnection connection) {
    }
}
