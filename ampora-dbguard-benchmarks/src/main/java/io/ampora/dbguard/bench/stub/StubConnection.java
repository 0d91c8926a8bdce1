package io.ampora.dbguard.bench.stub;

import java.sql.Connection;

/**
 * A connection that does nothing, as a plain class (no {@code java.lang.reflect.Proxy} dispatch), so that a
 * pool benchmark's baseline is HikariCP's own cost and not the stub's. Generated once from
 * {@link Connection}'s methods; every getter answers a constant.
 */
public final class StubConnection implements Connection {

    @Override
    public <T> T unwrap(Class<T> iface) {
        return iface.isInstance(this) ? iface.cast(this) : null;
    }

    @Override
    public void abort(java.util.concurrent.Executor a0) {
        // nothing
    }

    @Override
    public void clearWarnings() {
        // nothing
    }

    @Override
    public void close() {
        // nothing
    }

    @Override
    public void commit() {
        // nothing
    }

    @Override
    public java.sql.Array createArrayOf(java.lang.String a0, java.lang.Object[] a1) {
        return null;
    }

    @Override
    public java.sql.Blob createBlob() {
        return null;
    }

    @Override
    public java.sql.Clob createClob() {
        return null;
    }

    @Override
    public java.sql.NClob createNClob() {
        return null;
    }

    @Override
    public java.sql.SQLXML createSQLXML() {
        return null;
    }

    @Override
    public java.sql.Statement createStatement() {
        return null;
    }

    @Override
    public java.sql.Statement createStatement(int a0, int a1) {
        return null;
    }

    @Override
    public java.sql.Statement createStatement(int a0, int a1, int a2) {
        return null;
    }

    @Override
    public java.sql.Struct createStruct(java.lang.String a0, java.lang.Object[] a1) {
        return null;
    }

    @Override
    public boolean getAutoCommit() {
        return true;
    }

    @Override
    public java.lang.String getCatalog() {
        return null;
    }

    @Override
    public java.lang.String getClientInfo(java.lang.String a0) {
        return null;
    }

    @Override
    public java.util.Properties getClientInfo() {
        return null;
    }

    @Override
    public int getHoldability() {
        return 0;
    }

    @Override
    public java.sql.DatabaseMetaData getMetaData() {
        return null;
    }

    @Override
    public int getNetworkTimeout() {
        return 0;
    }

    @Override
    public java.lang.String getSchema() {
        return null;
    }

    @Override
    public int getTransactionIsolation() {
        return Connection.TRANSACTION_READ_COMMITTED;
    }

    @Override
    public java.util.Map<java.lang.String, java.lang.Class<?>> getTypeMap() {
        return null;
    }

    @Override
    public java.sql.SQLWarning getWarnings() {
        return null;
    }

    @Override
    public boolean isClosed() {
        return false;
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public boolean isValid(int a0) {
        return true;
    }

    @Override
    public boolean isWrapperFor(java.lang.Class<?> a0) {
        return false;
    }

    @Override
    public java.lang.String nativeSQL(java.lang.String a0) {
        return null;
    }

    @Override
    public java.sql.CallableStatement prepareCall(java.lang.String a0) {
        return null;
    }

    @Override
    public java.sql.CallableStatement prepareCall(java.lang.String a0, int a1, int a2) {
        return null;
    }

    @Override
    public java.sql.CallableStatement prepareCall(java.lang.String a0, int a1, int a2, int a3) {
        return null;
    }

    @Override
    public java.sql.PreparedStatement prepareStatement(java.lang.String a0) {
        return null;
    }

    @Override
    public java.sql.PreparedStatement prepareStatement(java.lang.String a0, int a1) {
        return null;
    }

    @Override
    public java.sql.PreparedStatement prepareStatement(java.lang.String a0, int a1, int a2) {
        return null;
    }

    @Override
    public java.sql.PreparedStatement prepareStatement(java.lang.String a0, int a1, int a2, int a3) {
        return null;
    }

    @Override
    public java.sql.PreparedStatement prepareStatement(java.lang.String a0, int[] a1) {
        return null;
    }

    @Override
    public java.sql.PreparedStatement prepareStatement(java.lang.String a0, java.lang.String[] a1) {
        return null;
    }

    @Override
    public void releaseSavepoint(java.sql.Savepoint a0) {
        // nothing
    }

    @Override
    public void rollback() {
        // nothing
    }

    @Override
    public void rollback(java.sql.Savepoint a0) {
        // nothing
    }

    @Override
    public void setAutoCommit(boolean a0) {
        // nothing
    }

    @Override
    public void setCatalog(java.lang.String a0) {
        // nothing
    }

    @Override
    public void setClientInfo(java.lang.String a0, java.lang.String a1) {
        // nothing
    }

    @Override
    public void setClientInfo(java.util.Properties a0) {
        // nothing
    }

    @Override
    public void setHoldability(int a0) {
        // nothing
    }

    @Override
    public void setNetworkTimeout(java.util.concurrent.Executor a0, int a1) {
        // nothing
    }

    @Override
    public void setReadOnly(boolean a0) {
        // nothing
    }

    @Override
    public java.sql.Savepoint setSavepoint() {
        return null;
    }

    @Override
    public java.sql.Savepoint setSavepoint(java.lang.String a0) {
        return null;
    }

    @Override
    public void setSchema(java.lang.String a0) {
        // nothing
    }

    @Override
    public void setTransactionIsolation(int a0) {
        // nothing
    }

    @Override
    public void setTypeMap(java.util.Map<java.lang.String, java.lang.Class<?>> a0) {
        // nothing
    }
}
