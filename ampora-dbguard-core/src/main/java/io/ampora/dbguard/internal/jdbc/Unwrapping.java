package io.ampora.dbguard.internal.jdbc;

import java.sql.SQLException;
import java.sql.Wrapper;

/**
 * The one {@link Wrapper} rule of the layer's objects and of the DataSources over them: the object itself, then
 * the object it delegates to, then whatever that unwraps to (down to the driver's). Written once so that every
 * level answers alike.
 */
public final class Unwrapping {

    private Unwrapping() {
    }

    /**
     * {@link Wrapper#unwrap} of a decorator.
     *
     * @param self     the decorator
     * @param delegate what it wraps
     * @param iface    the wanted type
     * @return the first of self, delegate, delegate's unwrap that is an {@code iface}
     * @param <T>      the wanted type
     * @throws SQLException when none is
     */
    public static <T> T unwrap(Object self, Wrapper delegate, Class<T> iface) throws SQLException {
        if (iface.isInstance(self)) {
            return iface.cast(self);
        }
        if (iface.isInstance(delegate)) {
            return iface.cast(delegate);
        }
        return delegate.unwrap(iface);
    }

    /**
     * {@link Wrapper#isWrapperFor} of a decorator.
     *
     * @param self     the decorator
     * @param delegate what it wraps
     * @param iface    the type asked for
     * @return whether {@link #unwrap} would find one
     * @throws SQLException when the delegate cannot tell
     */
    public static boolean isWrapperFor(Object self, Wrapper delegate, Class<?> iface) throws SQLException {
        return iface.isInstance(self) || iface.isInstance(delegate) || delegate.isWrapperFor(iface);
    }
}
