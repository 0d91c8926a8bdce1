package io.ampora.dbguard.examples.usertests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ampora.dbguard.rls.MissingTenantException;
import io.ampora.dbguard.rls.Tenant;
import io.ampora.dbguard.rls.TenantDataSource;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a team copies into its own service: tenant isolation proved on the real migrations, with the
 * roles production uses (an owner that migrates, an application role that only reads and writes), through
 * the same {@link TenantDataSource} the service uses.
 */
@WithPostgres
class TenantIsolationTest {

    static final String ACME = "11111111-1111-4111-8111-111111111111";
    static final String GLOBEX = "22222222-2222-4222-8222-222222222222";
    static final String PASSWORD = "isolation-test-password";

    DataSource app;

    @BeforeEach
    void migrateAsOwnerAndSeed(TestDatabase db) throws SQLException {
        String owner = db.name() + "_owner";
        String appRole = db.name() + "_app";
        if (!"t".equals(db.queryString("SELECT to_regclass('public.orders') IS NOT NULL"))) {
            db.createRole(owner, PASSWORD, null);
            db.createRole(appRole, PASSWORD, null);
            db.execute("GRANT USAGE, CREATE ON SCHEMA public TO " + owner + ";"
                    + " GRANT USAGE ON SCHEMA public TO " + appRole + ";"
                    + " ALTER DEFAULT PRIVILEGES FOR ROLE " + owner + " IN SCHEMA public"
                    + " GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO " + appRole);
            Flyway.configure().dataSource(db.jdbcUrl(), owner, PASSWORD).locations("classpath:db/migration").load().migrate();
            db.execute("INSERT INTO tenants (id, name) VALUES ('" + ACME + "', 'Acme'), ('" + GLOBEX + "', 'Globex');"
                    + " INSERT INTO orders (tenant_id, customer, total_cents) VALUES ('" + ACME + "', 'Ada', 100),"
                    + " ('" + ACME + "', 'Alan', 200), ('" + GLOBEX + "', 'Grace', 300)");
        }
        app = TenantDataSource.wrap(db.dataSource(appRole, PASSWORD));
    }

    /** The application's repository, as it is: it knows nothing about tenants. */
    static List<String> customers(DataSource dataSource) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("SELECT customer FROM orders ORDER BY customer");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
            c.commit();
        }
        return names;
    }

    static void insertOrder(DataSource dataSource, String tenantId, String customer) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO orders (tenant_id, customer, total_cents) VALUES (?::uuid, ?, 1)")) {
                ps.setString(1, tenantId);
                ps.setString(2, customer);
                ps.executeUpdate();
            }
            c.commit();
        }
    }

    @Test
    void eachTenantSeesOnlyItsOwnRows() throws Exception {
        assertThat(Tenant.call(ACME, () -> customers(app))).containsExactly("Ada", "Alan");
        assertThat(Tenant.call(GLOBEX, () -> customers(app))).containsExactly("Grace");
    }

    @Test
    void aTenantCannotWriteRowsOfAnother() {
        assertThatThrownBy(() -> Tenant.run(ACME, () -> {
            try {
                insertOrder(app, GLOBEX, "Mallory");
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        })).hasRootCauseInstanceOf(SQLException.class)
                .rootCause().hasMessageContaining("row-level security")
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("42501"));
    }

    @Test
    void aCallWithoutTenantThrowsNamingTheCallerInsteadOfReturningNothing() {
        assertThatThrownBy(() -> customers(app))
                .isInstanceOf(MissingTenantException.class)
                .hasMessageContaining("TenantIsolationTest.customers")
                .hasMessageContaining("Tenant.run(tenantId, ...)");
    }
}
