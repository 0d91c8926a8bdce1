package io.ampora.dbguard.rls.internal;

import io.ampora.dbguard.internal.jdbc.JdbcCall;
import io.ampora.dbguard.internal.jdbc.JdbcHook;
import io.ampora.dbguard.internal.jdbc.LayeredConnection;
import io.ampora.dbguard.internal.jdbc.LayeredStatement;
import io.ampora.dbguard.rls.AutocommitPolicy;
import io.ampora.dbguard.rls.MissingTenantException;
import io.ampora.dbguard.rls.Tenant;
import io.ampora.dbguard.rls.TenantException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;

/**
 * The tenant binding of one borrowed connection, a hook on the JDBC layer: every statement execution (reached
 * from the connection, a statement kept past its scope, metadata, a result set's statement, any
 * {@code getConnection()}) either runs with the tenant in scope bound to its transaction or is refused. It
 * remembers which tenant the open transaction is bound to and binds lazily, right before the first statement
 * of each transaction.
 *
 * <p>Where the delegate is pgjdbc (also behind HikariCP), the driver's own transaction state tells when a
 * transaction ended, even through a {@code COMMIT} sent as SQL; otherwise commit, rollback,
 * {@code setAutoCommit} and close through the layer end it.
 */
final class TenantTransactionBinder implements JdbcHook {

    private final TenantBinding binding;
    /** The connection the layer decorates (a pool's proxy or the driver's): the binding runs on it, unhooked. */
    private Connection delegate;
    private BaseConnection pg;
    /** The tenant the open transaction is bound to; null when no transaction is bound. */
    private String boundTenant;

    TenantTransactionBinder(TenantBinding binding) {
        this.binding = binding;
    }

    @Override
    public void attached(LayeredConnection connection) {
        this.delegate = connection.delegate();
        this.pg = pgjdbc(delegate);
    }

    private static BaseConnection pgjdbc(Connection connection) {
        try {
            return connection.isWrapperFor(BaseConnection.class) ? connection.unwrap(BaseConnection.class) : null;
        } catch (SQLException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public void transactionEnded(LayeredConnection connection) {
        boundTenant = null;
    }

    @Override
    public void connectionClosed(LayeredConnection connection) {
        boundTenant = null;
    }

    /**
     * Runs one statement execution (or a savepoint: bound before it, since a binding made after it would be
     * undone by rolling back to it) with the tenant bound: the guard, the binding and the autocommit policy.
     */
    @Override
    public <T> T execute(LayeredStatement statement, String sql, JdbcCall<T> execution) throws SQLException {
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

    private <T> T inOwnTransaction(String tenantId, JdbcCall<T> execution) throws SQLException {
        delegate.setAutoCommit(false);
        boundTenant = null;
        try {
            bindIfNeeded(tenantId);
            T result = execution.call();
            delegate.commit();
            return result;
        } catch (SQLException | RuntimeException | Error e) {
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
}
