package io.ampora.dbguard.rls.internal;

import io.ampora.dbguard.rls.AutocommitPolicy;
import io.ampora.dbguard.rls.TenantIdValidator;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.List;

/**
 * The configuration of a {@code TenantDataSource} and the factory of its guarded connections: each
 * borrowed connection gets a {@link GuardedConnection} handler behind a {@link Proxy}, and each
 * statement it creates a {@link GuardedStatement} handler.
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
     * Wraps a borrowed connection.
     *
     * @param connection the delegate's connection
     * @return the guarded connection
     */
    public Connection guard(Connection connection) {
        GuardedConnection handler = new GuardedConnection(this, connection);
        Connection proxy = (Connection) Proxy.newProxyInstance(TenantBinding.class.getClassLoader(),
                new Class<?>[] {Connection.class}, handler);
        handler.proxy(proxy);
        return proxy;
    }

    static Statement guard(GuardedConnection connection, Statement statement) {
        Class<?> type = statement instanceof CallableStatement ? CallableStatement.class
                : statement instanceof PreparedStatement ? PreparedStatement.class : Statement.class;
        return (Statement) Proxy.newProxyInstance(TenantBinding.class.getClassLoader(), new Class<?>[] {type},
                new GuardedStatement(connection, statement));
    }
}
