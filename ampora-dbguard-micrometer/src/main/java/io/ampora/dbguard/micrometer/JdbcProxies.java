package io.ampora.dbguard.micrometer;

import java.io.Closeable;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * The JDBC decorator behind {@link QueryMetrics#wrap(DataSource)}: dynamic proxies at the DataSource,
 * Connection and Statement levels, so it composes with any other wrapper (a pool, a tenant binder) in
 * any order. Each proxy answers {@code unwrap}/{@code isWrapperFor} for itself and then asks what it
 * wraps, returns its own Connection from {@code Statement.getConnection()}, and closes its delegate
 * once. {@code ResultSet.getStatement()} still returns the driver's statement (not timed further).
 */
final class JdbcProxies {

    private static final Class<?>[] DATA_SOURCE = {DataSource.class};
    private static final Class<?>[] CLOSEABLE_DATA_SOURCE = {DataSource.class, Closeable.class};
    /* Proxies are created for every connection and statement: look their constructors up once. */
    private static final Constructor<?> CONNECTION = constructor(Connection.class);
    private static final Constructor<?> STATEMENT = constructor(Statement.class);
    private static final Constructor<?> PREPARED_STATEMENT = constructor(PreparedStatement.class);
    private static final Constructor<?> CALLABLE_STATEMENT = constructor(CallableStatement.class);

    private JdbcProxies() {
    }

    private static Constructor<?> constructor(Class<?> type) {
        InvocationHandler none = (proxy, method, args) -> null;
        Object sample = Proxy.newProxyInstance(JdbcProxies.class.getClassLoader(), new Class<?>[] {type}, none);
        try {
            return sample.getClass().getConstructor(InvocationHandler.class);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("a proxy class without its InvocationHandler constructor", e);
        }
    }

    private static Object create(Constructor<?> constructor, InvocationHandler handler) {
        try {
            return constructor.newInstance(handler);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create a JDBC proxy", e);
        }
    }

    static DataSource dataSource(DataSource delegate, QueryMetrics metrics) {
        Class<?>[] interfaces = delegate instanceof Closeable ? CLOSEABLE_DATA_SOURCE : DATA_SOURCE;
        return (DataSource) Proxy.newProxyInstance(JdbcProxies.class.getClassLoader(), interfaces,
                new DataSourceHandler(delegate, metrics));
    }

    private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** Common answers of every level: unwrap, isWrapperFor, identity. */
    private abstract static class Handler implements InvocationHandler {
        final Object delegate;
        final QueryMetrics metrics;

        Handler(Object delegate, QueryMetrics metrics) {
            this.delegate = delegate;
            this.metrics = metrics;
        }

        @Override
        public final Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            switch (method.getName()) {
                case "unwrap":
                    if (args != null && args.length == 1 && args[0] instanceof Class<?> iface) {
                        if (iface.isInstance(proxy)) {
                            return proxy;
                        }
                        if (iface.isInstance(delegate)) {
                            return delegate;
                        }
                    }
                    break;
                case "isWrapperFor":
                    if (args != null && args.length == 1 && args[0] instanceof Class<?> iface
                            && (iface.isInstance(proxy) || iface.isInstance(delegate))) {
                        return true;
                    }
                    break;
                case "equals":
                    if (args != null && args.length == 1 && method.getParameterCount() == 1) {
                        return proxy == args[0];
                    }
                    break;
                case "hashCode":
                    if (method.getParameterCount() == 0) {
                        return System.identityHashCode(proxy);
                    }
                    break;
                case "toString":
                    if (method.getParameterCount() == 0) {
                        return "Metered[" + delegate + "]";
                    }
                    break;
                default:
                    break;
            }
            return handle(proxy, method, args);
        }

        abstract Object handle(Object proxy, Method method, Object[] args) throws Throwable;
    }

    private static final class DataSourceHandler extends Handler {
        DataSourceHandler(DataSource delegate, QueryMetrics metrics) {
            super(delegate, metrics);
        }

        @Override
        Object handle(Object proxy, Method method, Object[] args) throws Throwable {
            if (!method.getName().equals("getConnection")) {
                return JdbcProxies.invoke(delegate, method, args);
            }
            long t0 = System.nanoTime();
            Connection connection;
            try {
                connection = args == null ? ((DataSource) delegate).getConnection()
                        : (Connection) JdbcProxies.invoke(delegate, method, args);
            } catch (Throwable t) {
                long t1 = System.nanoTime();
                metrics.recordAcquire(t1 - t0, t1, false);
                throw t;
            }
            long t1 = System.nanoTime();
            metrics.recordAcquire(t1 - t0, t1, true);
            return create(CONNECTION, new ConnectionHandler(connection, metrics));
        }
    }

    private static final class ConnectionHandler extends Handler {
        private volatile boolean closed;

        ConnectionHandler(Connection delegate, QueryMetrics metrics) {
            super(delegate, metrics);
        }

        @Override
        Object handle(Object proxy, Method method, Object[] args) throws Throwable {
            String name = method.getName();
            switch (name) {
                case "close":
                    if (closed) {
                        return null;
                    }
                    closed = true;
                    ((Connection) delegate).close();
                    return null;
                case "createStatement":
                    return statement(STATEMENT, args == null ? ((Connection) delegate).createStatement()
                            : JdbcProxies.invoke(delegate, method, args), proxy);
                case "prepareStatement":
                    return statement(PREPARED_STATEMENT, args.length == 1
                            ? ((Connection) delegate).prepareStatement((String) args[0])
                            : JdbcProxies.invoke(delegate, method, args), proxy);
                case "prepareCall":
                    return statement(CALLABLE_STATEMENT, JdbcProxies.invoke(delegate, method, args), proxy);
                default:
                    return JdbcProxies.invoke(delegate, method, args);
            }
        }

        private Object statement(Constructor<?> type, Object statement, Object connectionProxy) {
            return create(type, new StatementHandler(statement, metrics, (Connection) connectionProxy));
        }
    }

    private static final class StatementHandler extends Handler {
        private final Connection connection;
        private volatile boolean closed;

        StatementHandler(Object delegate, QueryMetrics metrics, Connection connection) {
            super(delegate, metrics);
            this.connection = connection;
        }

        @Override
        Object handle(Object proxy, Method method, Object[] args) throws Throwable {
            String name = method.getName();
            if (name.startsWith("execute")) {
                long t0 = System.nanoTime();
                Object result;
                try {
                    result = execute(name, method, args);
                } catch (Throwable t) {
                    long t1 = System.nanoTime();
                    metrics.recordQuery(t1 - t0, t1, false);
                    throw t;
                }
                long t1 = System.nanoTime();
                metrics.recordQuery(t1 - t0, t1, true);
                return result;
            }
            switch (name) {
                case "getConnection":
                    return connection;
                case "close":
                    if (closed) {
                        return null;
                    }
                    closed = true;
                    ((Statement) delegate).close();
                    return null;
                default:
                    return JdbcProxies.invoke(delegate, method, args);
            }
        }

        /** The common execute calls without reflection; the rest through it. */
        private Object execute(String name, Method method, Object[] args) throws Throwable {
            if (args == null && delegate instanceof PreparedStatement ps) {
                switch (name) {
                    case "executeQuery":
                        return ps.executeQuery();
                    case "executeUpdate":
                        return ps.executeUpdate();
                    case "execute":
                        return ps.execute();
                    case "executeBatch":
                        return ps.executeBatch();
                    default:
                        break;
                }
            } else if (args != null && args.length == 1 && args[0] instanceof String sql) {
                Statement st = (Statement) delegate;
                switch (name) {
                    case "executeQuery":
                        return st.executeQuery(sql);
                    case "executeUpdate":
                        return st.executeUpdate(sql);
                    case "execute":
                        return st.execute(sql);
                    default:
                        break;
                }
            }
            return JdbcProxies.invoke(delegate, method, args);
        }
    }
}
