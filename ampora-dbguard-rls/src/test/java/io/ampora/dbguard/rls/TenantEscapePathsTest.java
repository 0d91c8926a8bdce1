package io.ampora.dbguard.rls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every way a caller can get from a {@link TenantDataSource} connection to a statement that runs SQL: the
 * direct ones, and the ones that walk back from a result set or the metadata to their statement or
 * connection. Without a tenant each must refuse; with one, each must run bound (an unbound statement under
 * RLS silently returns no rows: runbook 9's lock-out).
 */
@WithPostgres
class TenantEscapePathsTest {

    private static final String A = "11111111-1111-1111-1111-111111111111";
    private static final String READ_TENANT = "SELECT pg_catalog.current_setting('app.tenant_id', true)";

    /** One path from a connection to a statement. */
    @FunctionalInterface
    interface Path {
        Statement statement(Connection c) throws SQLException;
    }

    private static Map<String, Path> paths() {
        Map<String, Path> paths = new LinkedHashMap<>();
        paths.put("createStatement", Connection::createStatement);
        paths.put("prepareStatement", c -> c.prepareStatement(READ_TENANT));
        paths.put("statement.getConnection", c -> c.createStatement().getConnection().createStatement());
        paths.put("metaData.getConnection", c -> c.getMetaData().getConnection().createStatement());
        // (a metadata result set's own statement is closeOnCompletion in pgjdbc: re-executing it only says
        // "statement has been closed"; its connection is the way out, walked here)
        paths.put("metaData result set getStatement.getConnection",
                c -> c.getMetaData().getSchemas().getStatement().getConnection().createStatement());
        paths.put("statement kept from a system scope, via its result set", c -> {
            Statement[] kept = new Statement[1];
            Tenant.runAsSystem("test: obtain a result set outside any tenant", () -> {
                try {
                    kept[0] = c.createStatement().executeQuery("SELECT 1").getStatement();
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            return kept[0];
        });
        return paths;
    }

    /** Runs the tenant read through the statement the path reached (a prepared one already holds it). */
    private static ResultSet readTenant(Statement statement) throws SQLException {
        return statement instanceof PreparedStatement prepared ? prepared.executeQuery()
                : statement.executeQuery(READ_TENANT);
    }

    @BeforeAll
    static void schema(TestDatabase db) throws SQLException {
        RlsSchema.create(db);
    }

    @Test
    void everyPathToSqlRefusesWithoutATenantInScope(TestDatabase db) throws Exception {
        TenantDataSource dataSource = TenantDataSource.wrap(RlsSchema.app(db));
        for (Map.Entry<String, Path> path : paths().entrySet()) {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                Statement statement = path.getValue().statement(c);

                assertThatThrownBy(() -> readTenant(statement))
                        .as(path.getKey())
                        .isInstanceOf(MissingTenantException.class)
                        .hasMessageContaining(TenantEscapePathsTest.class.getName());
                c.rollback();
            }
        }
    }

    @Test
    void everyPathToSqlRunsBoundToTheTenantInScope(TestDatabase db) throws Exception {
        TenantDataSource dataSource = TenantDataSource.wrap(RlsSchema.app(db));
        for (Map.Entry<String, Path> path : paths().entrySet()) {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                Statement statement = path.getValue().statement(c);
                String bound = Tenant.call(A, () -> {
                    try (ResultSet rs = readTenant(statement)) {
                        rs.next();
                        return rs.getString(1);
                    }
                });
                c.rollback();

                assertThat(bound).as(path.getKey()).isEqualTo(A);
            }
        }
    }

    @Test
    void resultSetLeadsBackToTheGuardedStatementThatProducedIt(TestDatabase db) throws Exception {
        TenantDataSource dataSource = TenantDataSource.wrap(RlsSchema.app(db));
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            Tenant.run(A, () -> {
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
                    assertThat(rs.getStatement()).isSameAs(st);
                    assertThat(rs.getStatement().getConnection()).isSameAs(c);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(c.getMetaData().getConnection()).isSameAs(c);
            c.rollback();
        }
    }
}
