package io.ampora.dbguard.rls.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.Statement;

/**
 * A result set or database metadata of a guarded connection. Neither runs tenant SQL itself (metadata reads
 * catalogs, which RLS does not filter), but both lead back to objects that do: {@code getConnection()} and
 * {@code getStatement()} would hand out the driver's unguarded connection or statement, and SQL run through
 * those would skip the tenant binding and silently see no rows (runbook 9). Here they return the guarded
 * connection and a guarded statement, and every result set they return is wrapped the same way.
 */
final class GuardedReachable implements InvocationHandler {

    private final GuardedConnection connection;
    private final Object delegate;
    /** The guarded statement that produced this result set; null for metadata and its result sets. */
    private final Statement owner;

    private GuardedReachable(GuardedConnection connection, Object delegate, Statement owner) {
        this.connection = connection;
        this.delegate = delegate;
        this.owner = owner;
    }

    static DatabaseMetaData metaData(GuardedConnection connection, DatabaseMetaData metaData) {
        return (DatabaseMetaData) Proxy.newProxyInstance(GuardedReachable.class.getClassLoader(),
                new Class<?>[] {DatabaseMetaData.class}, new GuardedReachable(connection, metaData, null));
    }

    static Object wrapResult(GuardedConnection connection, Object result, Statement owner) {
        if (result instanceof ResultSet rs && !Proxy.isProxyClass(rs.getClass())) {
            return Proxy.newProxyInstance(GuardedReachable.class.getClassLoader(), new Class<?>[] {ResultSet.class},
                    new GuardedReachable(connection, rs, owner));
        }
        return result;
    }

    @Override
    public Object invoke(Object self, Method method, Object[] args) throws Throwable {
        switch (method.getName()) {
            case "equals":
                return self == args[0];
            case "hashCode":
                return System.identityHashCode(self);
            case "toString":
                return delegate.toString();
            case "getConnection":
                return connection.proxy();
            case "getStatement":
                if (owner != null) {
                    return owner;
                }
                Statement statement = (Statement) call(method, args);
                return statement == null ? null : TenantBinding.guard(connection, statement);
            case "unwrap":
                if (((Class<?>) args[0]).isInstance(self)) {
                    return self;
                }
                break;
            case "isWrapperFor":
                if (((Class<?>) args[0]).isInstance(self)) {
                    return true;
                }
                break;
            default:
                break;
        }
        return wrapResult(connection, call(method, args), owner);
    }

    private Object call(Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(delegate, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
