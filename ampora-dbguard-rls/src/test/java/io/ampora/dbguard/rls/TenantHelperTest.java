package io.ampora.dbguard.rls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;

/**
 * The database side of runbook 9: the same reused-connection situation against a policy written with
 * the shipped helper (an error) and one written with current_setting(..., true) on a text column (zero
 * rows, silently, and flagged by rls-posture).
 */
@WithPostgres
class TenantHelperTest {

    private static final String A = "11111111-1111-1111-1111-111111111111";

    @BeforeAll
    static void schema(TestDatabase db) throws SQLException {
        RlsSchema.create(db);
        String app = RlsSchema.appRole(db);
        db.execute("""
                CREATE TABLE notes (tenant_id text NOT NULL, body text);
                ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
                ALTER TABLE notes FORCE ROW LEVEL SECURITY;
                CREATE POLICY notes_by_setting ON notes USING (tenant_id = current_setting('app.tenant_id', true));
                INSERT INTO notes VALUES ('11111111-1111-1111-1111-111111111111', 'hello');
                INSERT INTO items (tenant_id, payload)
                    SELECT '11111111-1111-1111-1111-111111111111', 'hello' FROM (SELECT set_config('app.tenant_id',
                        '11111111-1111-1111-1111-111111111111', true)) s;
                """);
        db.execute("GRANT SELECT ON notes TO " + app);
    }

    @Test
    void helperPolicyRaisesOnAReusedConnectionWhereTheSettingReadsEmpty(TestDatabase db) throws Exception {
        try (Connection c = RlsSchema.app(db).getConnection()) {
            endedTransactionThatBound(c);
            assertThat(queryString(c, "SELECT current_setting('app.tenant_id', true)")).isEmpty();

            assertThatThrownBy(() -> queryString(c, "SELECT count(*) FROM items"))
                    .isInstanceOf(PSQLException.class)
                    .hasMessageContaining("no tenant is bound to this transaction: app.tenant_id is not set")
                    .satisfies(e -> assertThat(((PSQLException) e).getSQLState()).isEqualTo("42501"));
        }
    }

    @Test
    void helperPolicyRaisesOnABrandNewSessionToo(TestDatabase db) throws Exception {
        try (Connection c = RlsSchema.app(db).getConnection()) {
            assertThatThrownBy(() -> queryString(c, "SELECT count(*) FROM items"))
                    .hasMessageContaining("no tenant is bound");
        }
    }

    @Test
    void helperPolicyShowsTheRowsOfTheBoundTenant(TestDatabase db) throws Exception {
        try (Connection c = RlsSchema.app(db).getConnection()) {
            c.setAutoCommit(false);
            bind(c, A);
            assertThat(queryString(c, "SELECT count(*) FROM items")).isEqualTo("1");
            c.rollback();
        }
    }

    @Test
    void currentSettingPolicyOnTextColumnReturnsZeroRowsSilentlyAndRlsPostureFlagsIt(TestDatabase db) throws Exception {
        try (Connection c = RlsSchema.app(db).getConnection()) {
            endedTransactionThatBound(c);
            assertThat(queryString(c, "SELECT count(*) FROM notes")).isEqualTo("0");
        }

        CheckResult result = DbGuard.builder().dataSource(RlsSchema.app(db)).checks(List.of(new RlsPostureCheck()))
                .set("rls-posture.tables", "notes, items").build().report().result("rls-posture").orElseThrow();

        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        assertThat(result.findings()).singleElement().satisfies(f -> {
            assertThat(f.message()).contains("Policy notes_by_setting on public.notes")
                    .contains("current_setting('app.tenant_id'::text, true)").contains("zero rows silently");
            assertThat(f.details()).containsEntry("table", "public.notes").containsEntry("policy", "notes_by_setting");
        });
        assertThat(result.remediation()).contains("ampora_current_tenant()");
    }

    @Test
    void helperTextIsExposedAndIdempotent(TestDatabase db) throws Exception {
        assertThat(TenantHelper.sql()).contains("CREATE OR REPLACE FUNCTION ampora_current_tenant");
        db.execute(TenantHelper.sql());
        assertThat(db.queryString("SELECT count(*) FROM pg_proc WHERE proname = '" + TenantHelper.FUNCTION + "'"))
                .isEqualTo("1");
    }

    private static void endedTransactionThatBound(Connection c) throws SQLException {
        c.setAutoCommit(false);
        bind(c, A);
        c.commit();
        c.setAutoCommit(true);
    }

    private static void bind(Connection c, String tenant) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("SELECT set_config('app.tenant_id', ?, true)")) {
            st.setString(1, tenant);
            st.executeQuery().close();
        }
    }

    private static String queryString(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }
}
