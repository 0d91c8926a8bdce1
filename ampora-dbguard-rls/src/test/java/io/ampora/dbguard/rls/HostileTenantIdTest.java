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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Hostile tenant ids on a server of its own with pg_stat_statements, which records every statement the
 * application's role runs: ids are refused by validation before any SQL, or stored verbatim through the
 * bind parameter; and the only statement besides the application's own is the bound set_config.
 */
@WithPostgres(settings = {"shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track=all"})
class HostileTenantIdTest {

    static final List<String> HOSTILE = List.of(
            "'; DROP TABLE items; --",
            "x' OR '1'='1",
            "app.tenant_id', 'x', false); DROP TABLE items; --",
            "$$; DROP TABLE items; $$",
            "back\\slash\\' \\\\",
            "\"double\" \"quotes\"",
            "nul\0byte",
            "line\nbreak\r\ttab",
            "x".repeat(10_000),
            "ünïcödé テナント 租户 🚀 \u202Eevil",
            "11111111-1111-1111-1111-111111111111'; DROP TABLE items; --");

    @BeforeEach
    void schema(TestDatabase db) throws SQLException {
        if ("0".equals(db.queryString("SELECT count(*) FROM pg_class WHERE relname = 'items'"))) {
            RlsSchema.create(db);
            db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            db.execute("""
                    CREATE TABLE tagged (tenant text NOT NULL DEFAULT ampora_current_tenant(), note text);
                    ALTER TABLE tagged ENABLE ROW LEVEL SECURITY;
                    ALTER TABLE tagged FORCE ROW LEVEL SECURITY;
                    CREATE POLICY by_tenant ON tagged USING (tenant = (SELECT ampora_current_tenant()))
                        WITH CHECK (tenant = (SELECT ampora_current_tenant()));
                    """);
            db.execute("GRANT SELECT, INSERT ON tagged TO " + RlsSchema.appRole(db));
        }
        db.execute("SELECT pg_stat_statements_reset()");
    }

    @Test
    void defaultUuidValidationRefusesEveryHostileIdBeforeAnySql(TestDatabase db) throws Exception {
        TenantDataSource dataSource = TenantDataSource.wrap(app(db));
        List<String> tables = tables(db);

        for (String id : HOSTILE) {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                assertThatThrownBy(() -> Tenant.call(id, () -> insertAndReadBack(c)))
                        .isInstanceOf(InvalidTenantIdException.class)
                        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("DROP").doesNotContain("xxxxxxxxxx"));
            }
        }

        assertThat(statementsOfApp(db)).as("statements the application role ran").isEmpty();
        assertThat(tables(db)).isEqualTo(tables);
    }

    @Test
    void permissiveValidationStoresHostileIdsVerbatimThroughTheBindParameterOnly(TestDatabase db) throws Exception {
        TenantDataSource dataSource = TenantDataSource.builder(app(db))
                .validator(TenantIdValidator.anyText(20_000)).build();
        List<String> tables = tables(db);
        int accepted = 0;

        for (String id : HOSTILE) {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                if (id.indexOf('\0') >= 0) {
                    assertThatThrownBy(() -> Tenant.call(id, () -> insertAndReadBack(c)))
                            .isInstanceOf(InvalidTenantIdException.class).hasMessageContaining("NUL");
                    continue;
                }
                List<String> readBack = Tenant.call(id, () -> insertAndReadBack(c));
                c.commit();
                accepted++;
                assertThat(readBack).as("setting and stored tenant for an id of length %d", id.length())
                        .containsExactly(id, id);
            }
        }

        assertThat(tables(db)).isEqualTo(tables);
        assertThat(db.queryString("SELECT count(DISTINCT tenant) FROM tagged")).isEqualTo(String.valueOf(accepted));
        Map<String, Long> statements = statementsOfApp(db);
        assertThat(statements.keySet()).as("every statement the application role ran").containsExactlyInAnyOrder(
                "SELECT pg_catalog.set_config($1, $2, $3)",
                "INSERT INTO tagged (note) VALUES ($1)",
                "SELECT current_setting($1, $2), (SELECT tenant FROM tagged WHERE note = $3 ORDER BY tenant LIMIT $4)",
                "BEGIN", "COMMIT");
        assertThat(statements).containsEntry("SELECT pg_catalog.set_config($1, $2, $3)", (long) accepted);
    }

    /**
     * The application's DataSource; assumeMinServerVersion lets pgjdbc send application_name in the startup
     * packet instead of a SET after connecting, so that pg_stat_statements holds only what the tests run.
     */
    private static PGSimpleDataSource app(TestDatabase db) {
        PGSimpleDataSource dataSource = db.dataSource(RlsSchema.appRole(db), RlsSchema.PASSWORD);
        dataSource.setAssumeMinServerVersion("13");
        return dataSource;
    }

    private static List<String> insertAndReadBack(Connection c) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("INSERT INTO tagged (note) VALUES ('hostile')")) {
            st.executeUpdate();
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT current_setting('app.tenant_id', true), (SELECT tenant FROM tagged WHERE note = 'hostile'"
                        + " ORDER BY tenant LIMIT 1)")) {
            rs.next();
            return List.of(rs.getString(1), rs.getString(2));
        }
    }

    private static Map<String, Long> statementsOfApp(TestDatabase db) throws SQLException {
        Map<String, Long> statements = new LinkedHashMap<>();
        try (Connection c = db.dataSource().getConnection(); PreparedStatement st = c.prepareStatement("""
                SELECT s.query, sum(s.calls)::bigint
                FROM pg_stat_statements s
                JOIN pg_roles r ON r.oid = s.userid
                WHERE r.rolname = ? AND s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                GROUP BY s.query""")) {
            st.setString(1, RlsSchema.appRole(db));
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    statements.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        return statements;
    }

    private static List<String> tables(TestDatabase db) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT oid::regclass::text FROM pg_class WHERE relkind IN ('r', 'p')"
                     + " AND relnamespace = 'public'::regnamespace ORDER BY 1")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        assertThat(names).contains("items", "tagged");
        return names;
    }
}
