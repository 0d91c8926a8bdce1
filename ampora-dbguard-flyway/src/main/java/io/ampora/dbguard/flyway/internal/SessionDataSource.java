package io.ampora.dbguard.flyway.internal;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Set;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Hands Flyway a check's read-only session. Flyway ends transactions and closes connections as it
 * pleases; here those calls do nothing, so the session stays inside the runner's read-only transaction
 * with its local timeouts, and the runner alone rolls it back and closes it.
 */
public final class SessionDataSource implements DataSource {

    private static final Set<String> IGNORED = Set.of("close", "setAutoCommit", "commit", "rollback", "setReadOnly",
            "setTransactionIsolation", "setNetworkTimeout", "abort");

    private final Connection proxy;

    /**
     * @param session the check's session
     */
    public SessionDataSource(Connection session) {
        InvocationHandler handler = (Object p, Method m, Object[] args) -> {
            if (IGNORED.contains(m.getName()) && (args == null || args.length <= 2) && !(m.getName().equals("rollback")
                    && args != null && args.length == 1)) {
                return null;
            }
            if (m.getName().equals("isClosed")) {
                return session.isClosed();
            }
            try {
                return m.invoke(session, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        this.proxy = (Connection) Proxy.newProxyInstance(SessionDataSource.class.getClassLoader(),
                new Class<?>[] {Connection.class}, handler);
    }

    @Override
    public Connection getConnection() {
        return proxy;
    }

    @Override
    public Connection getConnection(String username, String password) {
        return proxy;
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        // not used
    }

    @Override
    public void setLoginTimeout(int seconds) {
        // not used
    }

    @Override
    public int getLoginTimeout() {
        return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws java.sql.SQLException {
        throw new java.sql.SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return false;
    }
}
