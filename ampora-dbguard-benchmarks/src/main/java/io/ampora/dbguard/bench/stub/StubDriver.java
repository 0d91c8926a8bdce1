package io.ampora.dbguard.bench.stub;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.logging.Logger;

/**
 * A JDBC driver for {@code jdbc:stub:} URLs whose connections do nothing, so that a benchmark measures
 * the pool and its wrapper alone (the HikariCP-benchmark method).
 */
public final class StubDriver implements Driver {

    /** The URL that selects this driver. */
    public static final String URL = "jdbc:stub:";

    static {
        try {
            DriverManager.registerDriver(new StubDriver());
        } catch (SQLException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final InvocationHandler NOTHING = StubDriver::answer;

    private static Object answer(Object proxy, Method method, Object[] args) {
        switch (method.getName()) {
            case "isValid":
            case "getAutoCommit":
                return true;
            case "isWrapperFor":
            case "isClosed":
            case "isReadOnly":
                return false;
            case "getTransactionIsolation":
                return Connection.TRANSACTION_READ_COMMITTED;
            case "hashCode":
                return System.identityHashCode(proxy);
            case "equals":
                return proxy == args[0];
            case "toString":
                return "StubConnection";
            default:
                break;
        }
        Class<?> type = method.getReturnType();
        if (type == int.class) {
            return 0;
        }
        if (type == long.class) {
            return 0L;
        }
        if (type == boolean.class) {
            return false;
        }
        return null;
    }

    @Override
    public Connection connect(String url, Properties info) {
        if (!acceptsURL(url)) {
            return null;
        }
        // jdbc:stub:proxy keeps the former reflection-proxy connection; the default is a plain class
        return url.startsWith(URL + "proxy")
                ? (Connection) Proxy.newProxyInstance(StubDriver.class.getClassLoader(), new Class<?>[] {Connection.class}, NOTHING)
                : new StubConnection();
    }

    @Override
    public boolean acceptsURL(String url) {
        return url != null && url.startsWith(URL);
    }

    @Override
    public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) {
        return new DriverPropertyInfo[0];
    }

    @Override
    public int getMajorVersion() {
        return 1;
    }

    @Override
    public int getMinorVersion() {
        return 0;
    }

    @Override
    public boolean jdbcCompliant() {
        return false;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }
}
