package io.ampora.dbguard.hikari.internal;

import java.lang.ref.Reference;
import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.NClob;
import java.sql.PreparedStatement;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.ShardingKey;
import java.sql.Statement;
import java.sql.Struct;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;

/**
 * The connection handed to the application: delegates everything to HikariCP's proxy and ends its
 * lease on the first {@link #close()}. The lease is a phantom reference to this object, so a wrapper
 * that becomes unreachable without {@code close()} is seen by the tracker as a certain leak.
 *
 * <p>Statements, prepared and callable statements and the database metadata it creates come wrapped
 * ({@link GuardedStatement}, {@link GuardedPreparedStatement}, {@link GuardedCallableStatement},
 * {@link GuardedDatabaseMetaData}, and their result sets in {@link GuardedResultSet}): each holds this
 * wrapper strongly, so code that keeps only a statement or a result set keeps the lease's wrapper reachable
 * (no false unclosed-leak report), and their {@code getConnection()} returns this wrapper, so closing
 * through it ends the lease normally. The borrow itself creates nothing more than this wrapper.
 */
public final class GuardedConnection implements Connection {

    private final Connection delegate;
    private final LeaseTracker tracker;
    private Lease lease;

    GuardedConnection(Connection delegate, LeaseTracker tracker) {
        this.delegate = delegate;
        this.tracker = tracker;
    }

    void lease(Lease value) {
        this.lease = value;
    }

    /** @return HikariCP's proxy connection this wrapper delegates to */
    public Connection delegate() {
        return delegate;
    }

    @Override
    public void close() throws SQLException {
        Lease l = lease;
        if (l == null) {
            return;
        }
        lease = null;
        try {
            delegate.close();
        } finally {
            tracker.released(l);
            // this wrapper must stay reachable until the lease is released: otherwise the JIT may treat it as
            // dead after the last field read, and the tracker could see it unreachable with the proxy still
            // open, a false "certain" leak
            Reference.reachabilityFence(this);
        }
    }

    @Override
    public boolean isClosed() throws SQLException {
        return lease == null || delegate.isClosed();
    }

    @Override
    public void abort(Executor executor) throws SQLException {
        Lease l = lease;
        lease = null;
        try {
            delegate.abort(executor);
        } finally {
            if (l != null) {
                tracker.released(l);
            }
            Reference.reachabilityFence(this);
        }
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        return Unwrapping.unwrap(this, delegate, iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return Unwrapping.isWrapperFor(this, delegate, iface);
    }

    @Override
    public void beginRequest() throws SQLException {
        delegate.beginRequest();
    }

    @Override
    public void clearWarnings() throws SQLException {
        delegate.clearWarnings();
    }

    @Override
    public void commit() throws SQLException {
        delegate.commit();
    }

    @Override
    public Array createArrayOf(String a0, Object[] a1) throws SQLException {
        return delegate.createArrayOf(a0, a1);
    }

    @Override
    public Blob createBlob() throws SQLException {
        return delegate.createBlob();
    }

    @Override
    public Clob createClob() throws SQLException {
        return delegate.createClob();
    }

    @Override
    public NClob createNClob() throws SQLException {
        return delegate.createNClob();
    }

    @Override
    public SQLXML createSQLXML() throws SQLException {
        return delegate.createSQLXML();
    }

    @Override
    public Statement createStatement() throws SQLException {
        return new GuardedStatement(delegate.createStatement(), this);
    }

    @Override
    public Statement createStatement(int a0, int a1, int a2) throws SQLException {
        return new GuardedStatement(delegate.createStatement(a0, a1, a2), this);
    }

    @Override
    public Statement createStatement(int a0, int a1) throws SQLException {
        return new GuardedStatement(delegate.createStatement(a0, a1), this);
    }

    @Override
    public Struct createStruct(String a0, Object[] a1) throws SQLException {
        return delegate.createStruct(a0, a1);
    }

    @Override
    public void endRequest() throws SQLException {
        delegate.endRequest();
    }

    @Override
    public boolean getAutoCommit() throws SQLException {
        return delegate.getAutoCommit();
    }

    @Override
    public String getCatalog() throws SQLException {
        return delegate.getCatalog();
    }

    @Override
    public Properties getClientInfo() throws SQLException {
        return delegate.getClientInfo();
    }

    @Override
    public String getClientInfo(String a0) throws SQLException {
        return delegate.getClientInfo(a0);
    }

    @Override
    public int getHoldability() throws SQLException {
        return delegate.getHoldability();
    }

    @Override
    public DatabaseMetaData getMetaData() throws SQLException {
        return new GuardedDatabaseMetaData(delegate.getMetaData(), this);
    }

    @Override
    public int getNetworkTimeout() throws SQLException {
        return delegate.getNetworkTimeout();
    }

    @Override
    public String getSchema() throws SQLException {
        return delegate.getSchema();
    }

    @Override
    public int getTransactionIsolation() throws SQLException {
        return delegate.getTransactionIsolation();
    }

    @Override
    public Map<String, Class<?>> getTypeMap() throws SQLException {
        return delegate.getTypeMap();
    }

    @Override
    public SQLWarning getWarnings() throws SQLException {
        return delegate.getWarnings();
    }

    @Override
    public boolean isReadOnly() throws SQLException {
        return delegate.isReadOnly();
    }

    @Override
    public boolean isValid(int a0) throws SQLException {
        return delegate.isValid(a0);
    }

    @Override
    public String nativeSQL(String a0) throws SQLException {
        return delegate.nativeSQL(a0);
    }

    @Override
    public CallableStatement prepareCall(String a0, int a1, int a2, int a3) throws SQLException {
        return new GuardedCallableStatement(delegate.prepareCall(a0, a1, a2, a3), this);
    }

    @Override
    public CallableStatement prepareCall(String a0, int a1, int a2) throws SQLException {
        return new GuardedCallableStatement(delegate.prepareCall(a0, a1, a2), this);
    }

    @Override
    public CallableStatement prepareCall(String a0) throws SQLException {
        return new GuardedCallableStatement(delegate.prepareCall(a0), this);
    }

    @Override
    public PreparedStatement prepareStatement(String a0, int[] a1) throws SQLException {
        return new GuardedPreparedStatement(delegate.prepareStatement(a0, a1), this);
    }

    @Override
    public PreparedStatement prepareStatement(String a0, String[] a1) throws SQLException {
        return new GuardedPreparedStatement(delegate.prepareStatement(a0, a1), this);
    }

    @Override
    public PreparedStatement prepareStatement(String a0, int a1, int a2, int a3) throws SQLException {
        return new GuardedPreparedStatement(delegate.prepareStatement(a0, a1, a2, a3), this);
    }

    @Override
    public PreparedStatement prepareStatement(String a0, int a1, int a2) throws SQLException {
        return new GuardedPreparedStatement(delegate.prepareStatement(a0, a1, a2), this);
    }

    @Override
    public PreparedStatement prepareStatement(String a0, int a1) throws SQLException {
        return new GuardedPreparedStatement(delegate.prepareStatement(a0, a1), this);
    }

    @Override
    public PreparedStatement prepareStatement(String a0) throws SQLException {
        return new GuardedPreparedStatement(delegate.prepareStatement(a0), this);
    }

    @Override
    public void releaseSavepoint(Savepoint a0) throws SQLException {
        delegate.releaseSavepoint(a0);
    }

    @Override
    public void rollback() throws SQLException {
        delegate.rollback();
    }

    @Override
    public void rollback(Savepoint a0) throws SQLException {
        delegate.rollback(a0);
    }

    @Override
    public void setAutoCommit(boolean a0) throws SQLException {
        delegate.setAutoCommit(a0);
    }

    @Override
    public void setCatalog(String a0) throws SQLException {
        delegate.setCatalog(a0);
    }

    @Override
    public void setClientInfo(String a0, String a1) throws SQLClientInfoException {
        delegate.setClientInfo(a0, a1);
    }

    @Override
    public void setClientInfo(Properties a0) throws SQLClientInfoException {
        delegate.setClientInfo(a0);
    }

    @Override
    public void setHoldability(int a0) throws SQLException {
        delegate.setHoldability(a0);
    }

    @Override
    public void setNetworkTimeout(Executor a0, int a1) throws SQLException {
        delegate.setNetworkTimeout(a0, a1);
    }

    @Override
    public void setReadOnly(boolean a0) throws SQLException {
        delegate.setReadOnly(a0);
    }

    @Override
    public Savepoint setSavepoint() throws SQLException {
        return delegate.setSavepoint();
    }

    @Override
    public Savepoint setSavepoint(String a0) throws SQLException {
        return delegate.setSavepoint(a0);
    }

    @Override
    public void setSchema(String a0) throws SQLException {
        delegate.setSchema(a0);
    }

    @Override
    public void setShardingKey(ShardingKey a0, ShardingKey a1) throws SQLException {
        delegate.setShardingKey(a0, a1);
    }

    @Override
    public void setShardingKey(ShardingKey a0) throws SQLException {
        delegate.setShardingKey(a0);
    }

    @Override
    public boolean setShardingKeyIfValid(ShardingKey a0, int a1) throws SQLException {
        return delegate.setShardingKeyIfValid(a0, a1);
    }

    @Override
    public boolean setShardingKeyIfValid(ShardingKey a0, ShardingKey a1, int a2) throws SQLException {
        return delegate.setShardingKeyIfValid(a0, a1, a2);
    }

    @Override
    public void setTransactionIsolation(int a0) throws SQLException {
        delegate.setTransactionIsolation(a0);
    }

    @Override
    public void setTypeMap(Map<String, Class<?>> a0) throws SQLException {
        delegate.setTypeMap(a0);
    }

}
