package io.ampora.dbguard.hikari.internal;

import java.sql.SQLException;
import java.sql.Wrapper;

/**
 * The one {@link Wrapper} rule of every guarded JDBC object: the guarded object itself, then HikariCP's
 * object it delegates to, then whatever HikariCP unwraps to (the driver's). Kept in one place so that
 * the connection, statements, result sets and metadata all answer alike.
 */
final class Unwrapping {

    private Unwrapping() {
    }

    static <T> T unwrap(Object self, Wrapper delegate, Class<T> iface) throws SQLException {
        if (iface.isInstance(self)) {
            return iface.cast(self);
        }
        if (iface.isInstance(delegate)) {
            return iface.cast(delegate);
        }
        return delegate.unwrap(iface);
    }

    static boolean isWrapperFor(Object self, Wrapper delegate, Class<?> iface) throws SQLException {
        return iface.isInstance(self) || iface.isInstance(delegate) || delegate.isWrapperFor(iface);
    }
}
