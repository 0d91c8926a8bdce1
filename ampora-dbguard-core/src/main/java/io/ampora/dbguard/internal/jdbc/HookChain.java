package io.ampora.dbguard.internal.jdbc;

import java.sql.SQLException;

/** Two hooks of one connection: {@code inner} was added first, {@code outer} wraps its executions. */
final class HookChain implements JdbcHook {

    private final JdbcHook inner;
    private final JdbcHook outer;

    HookChain(JdbcHook inner, JdbcHook outer) {
        this.inner = inner;
        this.outer = outer;
    }

    static <H extends JdbcHook> H find(JdbcHook hook, Class<H> type) {
        if (hook instanceof HookChain chain) {
            H found = find(chain.outer, type);
            return found != null ? found : find(chain.inner, type);
        }
        return type.isInstance(hook) ? type.cast(hook) : null;
    }

    @Override
    public <T> T execute(LayeredStatement statement, String sql, JdbcCall<T> call) throws SQLException {
        return outer.execute(statement, sql, () -> inner.execute(statement, sql, call));
    }

    @Override
    public void statementClosed(LayeredStatement statement) {
        inner.statementClosed(statement);
        outer.statementClosed(statement);
    }

    @Override
    public void transactionEnded(LayeredConnection connection) {
        inner.transactionEnded(connection);
        outer.transactionEnded(connection);
    }

    @Override
    public void connectionClosing(LayeredConnection connection) {
        try {
            inner.connectionClosing(connection);
        } finally {
            outer.connectionClosing(connection);
        }
    }

    @Override
    public void connectionClosed(LayeredConnection connection) {
        try {
            inner.connectionClosed(connection);
        } finally {
            outer.connectionClosed(connection);
        }
    }
}
