package io.ampora.dbguard.rls.internal;

import io.ampora.dbguard.internal.jdbc.LayeredConnection;
import io.ampora.dbguard.rls.AutocommitPolicy;
import io.ampora.dbguard.rls.TenantIdValidator;
import java.sql.Connection;
import java.util.List;

/**
 * The configuration of a {@code TenantDataSource} and the factory of its guarded connections: each
 * borrowed connection gets a {@link TenantTransactionBinder} hook on the JDBC layer (added to the connection's
 * layer when the wrapped DataSource already hands out the layer's connections, e.g. a {@code GuardedPool}).
 *
 * @param setting         the setting bound per transaction
 * @param validator       the tenant id validator
 * @param autocommit      what to do with autocommit statements
 * @param libraryPackages extra prefixes skipped when naming the caller
 */
public record TenantBinding(String setting, TenantIdValidator validator, AutocommitPolicy autocommit,
                            List<String> libraryPackages) {

    /** The one statement the binding runs: the id and the setting name are bind parameters. */
    static final String BIND_SQL = "SELECT pg_catalog.set_config(?, ?, true)";

    /**
     * Guards a borrowed connection.
     *
     * @param connection the delegate's connection
     * @return the layer's connection with the tenant binding hooked in
     */
    public Connection guard(Connection connection) {
        return LayeredConnection.of(connection, new TenantTransactionBinder(this));
    }
}
