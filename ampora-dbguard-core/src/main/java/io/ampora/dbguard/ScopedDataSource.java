package io.ampora.dbguard;

import javax.sql.DataSource;

/**
 * A DataSource wrapper whose statements need a scope that the guard's checks never have (a tenant bound
 * per transaction, a request context), so the guard must not run its checks through it.
 *
 * <p>{@link DbGuard.Builder#dataSource(DataSource)} and {@link DbGuard.Builder#replicaDataSource(DataSource)}
 * run the checks on {@link #delegate()} instead (found directly or through {@link DataSource#unwrap(Class)}),
 * so the application can hand the guard the same DataSource it uses itself. Implement it in a wrapper of
 * your own that refuses unscoped statements; {@code io.ampora.dbguard.rls.TenantDataSource} does.
 */
public interface ScopedDataSource extends DataSource {

    /** @return the wrapped DataSource, which runs statements without the scope (the guard's checks use it) */
    DataSource delegate();
}
