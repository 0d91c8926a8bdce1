package io.ampora.dbguard.rls.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.sql.Statement;

/** One statement of a guarded connection: every execute method runs through the connection's guard. */
final class GuardedStatement implements InvocationHandler {

    private final GuardedConnection connection;
    private final Statement delegate;

    GuardedStatement(GuardedConnection connection, Statement delegate) {
        this.connection = connection;
        this.delegate = delegate;
    }

    @Override
    public Object invoke(Object self, Method method, Object[] args) throws Throwable {
        String name = method.getName();
        switch (name) {
            case "equals":
                return self == args[0];
            case "hashCode":
                return System.identityHashCode(self);
            case "toString":
                return delegate.toString();
            case "getConnection":
                return connection.proxy();
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
        Object result = name.startsWith("execute") ? connection.runGuarded(() -> call(method, args)) : call(method, args);
        // executeQuery, getResultSet, getGeneratedKeys: their getStatement() must lead back here, not to the driver.
        return GuardedReachable.wrapResult(connection, result, (Statement) self);
    }

    private Object call(Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(delegate, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
