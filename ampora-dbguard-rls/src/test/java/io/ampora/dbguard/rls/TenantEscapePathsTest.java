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
 * RLS silently returns no rows: runbook 9's lock-out), and bind exactly once per transaction, counted by
 * pg_stat_statements on a server of its own.
 */
@WithPostgres(settings = {"shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track=all"})
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
        // the setup SQL of these paths runs in a system scope: only the statement they reach is under test
        paths.put("resultSet.getStatement", c -> system(() -> c.createStatement().executeQuery("SELECT 1").getStatement()));
        paths.put("resultSet.getStatement.getConnection", c -> system(() -> c.createStatement()
                .executeQuery("SELECT 1").getStatement().getConnection().createStatement()));
        paths.put("prepareCall", c -> c.prepareCall(READ_TENANT));
        paths.put("generatedKeys.getStatement", c -> system(() -> {
            Statement st = c.createStatement();
            st.execute("CREATE TEMP TABLE IF NOT EXISTS escape_keys (id serial) ON COMMIT DROP");
            st.executeUpdate("INSERT INTO escape_keys DEFAULT VALUES", Statement.RETURN_GENERATED_KEYS);
            return st.getGeneratedKeys().getStatement();
        }));
        // an SQL array's own result set: pgjdbc builds it on a statement of the driver's connection
        paths.put("array.getResultSet.getStatement", c -> system(() -> {
            ResultSet rs = c.createStatement().executeQuery("SELECT ARRAY[1, 2]");
            rs.next();
            return rs.getArray(1).getResultSet().getStatement();
        }));
        paths.put("array.getResultSet.getStatement.getConnection", c -> system(() -> {
            ResultSet rs = c.createStatement().executeQuery("SELECT ARRAY[1, 2]");
            rs.next();
            return rs.getArray(1).getResultSet().getStatement().getConnection().createStatement();
        }));
        paths.put("createArrayOf.getResultSet.getStatement",
                c -> c.createArrayOf("int4", new Object[] {1, 2}).getResultSet().getStatement());
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

    private static Statement system(java.util.concurrent.Callable<Statement> setup) throws SQLException {
        try {
            return Tenant.callAsSystem("test: reach a statement outside any tenant", setup);
        } catch (SQLException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs the tenant read through the statement the path reached (a prepared one already holds it). */
    private static ResultSet readTenant(Statement statement) throws SQLException {
        return statement instanceof PreparedStatement prepared ? prepared.executeQuery()
                : statement.executeQuery(READ_TENANT);
    }

    @BeforeAll
    static void schema(TestDatabase db) throws SQLException {
        RlsSchema.create(db);
        db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    }

    /** @return how many times this database ran the binding statement since the last reset */
    private static long bindings(TestDatabase db) throws SQLException {
        return Long.parseLong(db.queryString("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements"
                + " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
                + " AND query LIKE 'SELECT pg_catalog.set_config(%'"));
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
    void everyPathBindsExactlyOncePerTransaction(TestDatabase db) throws Exception {
        TenantDataSource dataSource = TenantDataSource.wrap(RlsSchema.app(db));
        int transactions = 0;
        for (Map.Entry<String, Path> path : paths().entrySet()) {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                Statement statement = path.getValue().statement(c);
                c.commit();
                db.execute("SELECT pg_stat_statements_reset()");
                for (int tx = 0; tx < 2; tx++) {
                    Tenant.run(A, () -> {
                        try {
                            readTenant(statement).close();
                            readTenant(statement).close();
                            c.createStatement().executeQuery(READ_TENANT).close();
                        } catch (SQLException e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    c.commit();
                }
                assertThat(bindings(db)).as(path.getKey() + ": two transactions, three statements each").isEqualTo(2);
                transactions += 2;
            }
        }
        assertThat(transactions).isEqualTo(2 * paths().size());
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
