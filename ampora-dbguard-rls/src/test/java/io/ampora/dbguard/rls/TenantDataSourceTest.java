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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

@WithPostgres
class TenantDataSourceTest {

    private static final String A = "11111111-1111-1111-1111-111111111111";
    private static final String B = "22222222-2222-2222-2222-222222222222";

    @BeforeAll
    static void schema(TestDatabase db) throws SQLException {
        RlsSchema.create(db);
    }

    /** A repository as an application writes it: no tenant handling of its own. */
    static final class ItemRepository {
        private final javax.sql.DataSource dataSource;

        ItemRepository(javax.sql.DataSource dataSource) {
            this.dataSource = dataSource;
        }

        List<String> findAllTenants() throws SQLException {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                List<String> tenants = new ArrayList<>();
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT tenant_id FROM items")) {
                    while (rs.next()) {
                        tenants.add(rs.getString(1));
                    }
                }
                c.commit();
                return tenants;
            }
        }

        void add(String payload) throws SQLException {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                try (PreparedStatement st = c.prepareStatement("INSERT INTO items (payload) VALUES (?)")) {
                    st.setString(1, payload);
                    st.executeUpdate();
                }
                c.commit();
            }
        }
    }

    @Test
    void repositoryCallWithoutTenantFailsNamingTheCallerInsteadOfReturningNoRows(TestDatabase db) {
        ItemRepository repository = new ItemRepository(TenantDataSource.wrap(RlsSchema.app(db)));

        assertThatThrownBy(repository::findAllTenants)
                .isInstanceOf(MissingTenantException.class)
                .hasMessageContaining("without a tenant at " + ItemRepository.class.getName() + ".findAllTenants(")
                .hasMessageContaining("app.tenant_id")
                .hasMessageContaining("runbook 9")
                .satisfies(e -> assertThat(((MissingTenantException) e).caller())
                        .startsWith(ItemRepository.class.getName() + ".findAllTenants(TenantDataSourceTest.java:"));
    }

    @Test
    void eachTenantSeesAndWritesOnlyItsRows(TestDatabase db) throws Exception {
        ItemRepository repository = new ItemRepository(TenantDataSource.wrap(RlsSchema.app(db)));

        Tenant.run(A, () -> unchecked(() -> repository.add("a1")));
        Tenant.run(B, () -> unchecked(() -> repository.add("b1")));

        assertThat(Tenant.call(A, repository::findAllTenants)).isNotEmpty().containsOnly(A);
        assertThat(Tenant.call(B, repository::findAllTenants)).isNotEmpty().containsOnly(B);
    }

    @Test
    void bindingDiesWithTheTransactionOnTheSamePhysicalConnection(TestDatabase db) throws Exception {
        TenantDataSource dataSource = TenantDataSource.wrap(RlsSchema.app(db));
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            String inside = Tenant.call(A, () -> queryString(c, "SELECT current_setting('app.tenant_id', true)"));
            c.commit();
            String after = queryString(c.unwrap(org.postgresql.core.BaseConnection.class),
                    "SELECT current_setting('app.tenant_id', true)");
            assertThat(inside).isEqualTo(A);
            assertThat(after).isEmpty();

            // a COMMIT sent as SQL also ends the binding: the next transaction binds again
            Tenant.run(B, () -> unchecked(() -> {
                try (Statement st = c.createStatement()) {
                    st.execute("COMMIT");
                }
                assertThat(queryString(c, "SELECT current_setting('app.tenant_id', true)")).isEqualTo(B);
                c.rollback();
            }));
        }
    }

    @Test
    void autocommitConnectionIsRefusedByDefault(TestDatabase db) throws Exception {
        TenantDataSource dataSource = TenantDataSource.wrap(RlsSchema.app(db));
        try (Connection c = dataSource.getConnection()) {
            assertThatThrownBy(() -> Tenant.call(A, () -> queryString(c, "SELECT count(*) FROM items")))
                    .isInstanceOf(TenantException.class)
                    .hasMessageContaining("autocommit");
        }
    }

    @Test
    void autocommitConnectionBindsPerStatementWhenConfigured(TestDatabase db) throws Exception {
        TenantDataSource dataSource = TenantDataSource.builder(RlsSchema.app(db))
                .autocommit(AutocommitPolicy.BIND_PER_STATEMENT).build();
        try (Connection c = dataSource.getConnection()) {
            Tenant.run(A, () -> unchecked(() -> {
                try (Statement st = c.createStatement()) {
                    st.executeUpdate("INSERT INTO items (payload) VALUES ('autocommit')");
                }
                assertThat(queryString(c, "SELECT current_setting('app.tenant_id', true)")).isEqualTo(A);
            }));
            assertThat(c.getAutoCommit()).isTrue();
        }
        assertThat(db.queryString("SELECT tenant_id FROM items WHERE payload = 'autocommit'")).isEqualTo(A);
    }

    @Test
    void invalidTenantIdIsRejectedBeforeAnySql(TestDatabase db) throws Exception {
        TenantDataSource dataSource = TenantDataSource.wrap(RlsSchema.app(db));
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            assertThatThrownBy(() -> Tenant.call("not-a-uuid", () -> queryString(c, "SELECT 1")))
                    .isInstanceOf(InvalidTenantIdException.class)
                    .hasMessageContaining("not a canonical UUID")
                    .hasMessageNotContaining("not-a-uuid");
            // nothing reached the server: no transaction was opened
            assertThat(c.unwrap(org.postgresql.core.BaseConnection.class).getTransactionState())
                    .isEqualTo(org.postgresql.core.TransactionState.IDLE);
        }
    }

    @Test
    void switchingTenantInsideAnOpenTransactionIsRefused(TestDatabase db) throws Exception {
        TenantDataSource dataSource = TenantDataSource.wrap(RlsSchema.app(db));
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            Tenant.call(A, () -> queryString(c, "SELECT 1"));
            assertThatThrownBy(() -> Tenant.call(B, () -> queryString(c, "SELECT count(*) FROM items")))
                    .isInstanceOf(TenantException.class)
                    .hasMessageContaining("bound to another tenant");
            c.rollback();
            assertThat(Tenant.call(B, () -> queryString(c, "SELECT current_setting('app.tenant_id')"))).isEqualTo(B);
        }
    }

    @Test
    void systemScopeRunsWithoutBinding(TestDatabase db) throws Exception {
        TenantDataSource dataSource = TenantDataSource.wrap(RlsSchema.app(db));
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            String setting = Tenant.callAsSystem("test: read settings",
                    () -> queryString(c, "SELECT coalesce(current_setting('app.tenant_id', true), '<null>')"));
            assertThat(setting).isEqualTo("<null>");
            c.rollback();
        }
    }

    @Test
    void savepointRollbackKeepsTheBinding(TestDatabase db) throws Exception {
        TenantDataSource dataSource = TenantDataSource.wrap(RlsSchema.app(db));
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            String after = Tenant.call(A, () -> {
                var savepoint = c.setSavepoint();
                queryString(c, "SELECT 1");
                c.rollback(savepoint);
                return queryString(c, "SELECT current_setting('app.tenant_id', true)");
            });
            assertThat(after).isEqualTo(A);
            c.rollback();
        }
    }

    @Test
    void statementGetConnectionReturnsTheGuardedConnection(TestDatabase db) throws Exception {
        TenantDataSource dataSource = TenantDataSource.wrap(RlsSchema.app(db));
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            assertThat(st.getConnection()).isSameAs(c);
            assertThat(c.isWrapperFor(PGConnection.class)).isTrue();
        }
    }

    static String queryString(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    interface SqlWork {
        void run() throws Exception;
    }

    static void unchecked(SqlWork work) {
        try {
            work.run();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
