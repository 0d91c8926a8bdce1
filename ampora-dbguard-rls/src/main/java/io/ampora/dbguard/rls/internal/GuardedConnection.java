package io.ampora.dbguard.rls.internal;

import io.ampora.dbguard.rls.AutocommitPolicy;
import io.ampora.dbguard.rls.MissingTenantException;
import io.ampora.dbguard.rls.Tenant;
import io.ampora.dbguard.rls.TenantException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;

/**
 * One borrowed connection: remembers which tenant its open transaction is bound to and binds lazily,
 * right before the first statement of each transaction.
 *
 * <p>Where the delegate is pgjdbc (also behind HikariCP), the driver's own transaction state tells
 * when a transaction ended, even through a {@code COMMIT} sent as SQL; otherwise commit, rollback,
 * {@code setAutoCommit} and close through this connection end it.
 */
final class GuardedConnection implements InvocationHandler {

    private final TenantBinding binding;
    private final Connection delegate;
    private final BaseConnection pg;
    private Connection proxy;
    /** The tenant the open transaction is bound to; null when no transaction is bound. */
    private String boundTenant;

    GuardedConnection(TenantBinding binding, Connection delegate) {
        this.binding = binding;
        this.delegate = delegate;
        this.pg = pgjdbc(delegate);
    }

    void proxy(Connection value) {
        this.proxy = value;
    }

    Connection proxy() {
        return proxy;
    }

    private static BaseConnection pgjdbc(Connection connection) {
        try {
            return connection.isWrapperFor(BaseConnection.class) ? connection.unwrap(BaseConnection.class) : null;
        } catch (SQLException | RuntimeException e) {
            return null;
        }
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
                return "TenantDataSource connection over " + delegate;
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
            case "setSavepoint":
                // Bind before the savepoint: a binding made after it would be undone by rolling back to it.
                return runGuarded(() -> call(method, args));
            default:
                break;
        }
        Object result = call(method, args);
        switch (name) {
            case "createStatement", "prepareStatement", "prepareCall" -> {
                return TenantBinding.guard(this, (Statement) result);
            }
            case "getMetaData" -> {
                return GuardedReachable.metaData(this, (DatabaseMetaData) result);
            }
            case "commit", "rollback", "close", "setAutoCommit" -> {
                if (!(name.equals("rollback") && args != null && args.length == 1)) {
                    boundTenant = null;
                }
            }
            default -> {
            }
        }
        return result;
    }

    private Object call(Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(delegate, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /**
     * Runs one statement execution with the tenant bound: the guard, the binding and the autocommit policy.
     *
     * @param execution the delegate statement's execute call
     * @return its result
     * @param <T>       the result type
     * @throws Throwable what it threw, or a {@link TenantException} before any SQL ran
     */
    <T> T runGuarded(ThrowingCall<T> execution) throws Throwable {
        Optional<String> tenant = Tenant.current();
        if (tenant.isEmpty()) {
            if (Tenant.isSystem()) {
                return execution.call();
            }
            String caller = Callers.find(binding.libraryPackages());
            throw new MissingTenantException("A statement ran without a tenant at " + caller + " on thread "
                    + Thread.currentThread().getName() + ": the RLS policies on " + binding.setting()
                    + " would have returned no rows instead of an error (runbook 9). Run it inside"
                    + " Tenant.run(tenantId, ...), or inside Tenant.runAsSystem(reason, ...) for work that needs"
                    + " no tenant.", caller);
        }
        String tenantId = tenant.get();
        if (delegate.getAutoCommit()) {
            if (binding.autocommit() == AutocommitPolicy.REFUSE) {
                throw new TenantException("A tenant statement ran on an autocommit connection at "
                        + Callers.find(binding.libraryPackages()) + ": set_config(..., true) would last only for"
                        + " itself, so the statement would run unbound. Run tenant work in a transaction"
                        + " (setAutoCommit(false), Hikari autoCommit=false, @Transactional) or build the"
                        + " TenantDataSource with AutocommitPolicy.BIND_PER_STATEMENT.");
            }
            return inOwnTransaction(tenantId, execution);
        }
        bindIfNeeded(tenantId);
        return execution.call();
    }

    private <T> T inOwnTransaction(String tenantId, ThrowingCall<T> execution) throws Throwable {
        delegate.setAutoCommit(false);
        boundTenant = null;
        try {
            bindIfNeeded(tenantId);
            T result = execution.call();
            delegate.commit();
            return result;
        } catch (Throwable e) {
            try {
                delegate.rollback();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        } finally {
            boundTenant = null;
            delegate.setAutoCommit(true);
        }
    }

    private void bindIfNeeded(String tenantId) throws SQLException {
        if (pg != null && pg.getTransactionState() == TransactionState.IDLE) {
            boundTenant = null;
        }
        if (boundTenant != null) {
            if (!boundTenant.equals(tenantId)) {
                throw new TenantException("The open transaction is bound to another tenant than the one now in"
                        + " scope at " + Callers.find(binding.libraryPackages()) + ": commit or roll back before"
                        + " working for the next tenant on the same connection.");
            }
            return;
        }
        binding.validator().validate(tenantId);
        try (PreparedStatement bind = delegate.prepareStatement(TenantBinding.BIND_SQL)) {
            bind.setString(1, binding.setting());
            bind.setString(2, tenantId);
            try (ResultSet ignored = bind.executeQuery()) {
                boundTenant = tenantId;
            }
        }
    }

    /** A statement execution that may throw anything the driver throws. */
    @FunctionalInterface
    interface ThrowingCall<T> {
        T call() throws Throwable;
    }
}
