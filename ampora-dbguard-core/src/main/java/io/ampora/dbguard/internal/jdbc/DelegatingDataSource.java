package io.ampora.dbguard.internal.jdbc;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * The DataSource delegation written once, for the library's DataSources over another one (the guarded pool, the
 * tenant binder, the query timer, the migration helpers): everything goes to {@link #target()}; a subclass
 * overrides the {@code getConnection} methods. {@code unwrap}/{@code isWrapperFor} follow {@link Unwrapping}.
 */
public abstract class DelegatingDataSource implements DataSource {

    private final DataSource target;

    /** @param target the DataSource to delegate to */
    protected DelegatingDataSource(DataSource target) {
        this.target = target;
    }

    /** @return the DataSource this one delegates to */
    protected final DataSource target() {
        return target;
    }

    @Override
    public Connection getConnection() throws SQLException {
        return target.getConnection();
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return target.getConnection(username, password);
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return target.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        target.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        target.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return target.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return target.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        return Unwrapping.unwrap(this, target, iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return Unwrapping.isWrapperFor(this, target, iface);
    }
}
