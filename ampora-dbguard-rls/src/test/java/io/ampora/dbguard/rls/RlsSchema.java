package io.ampora.dbguard.rls;

import io.ampora.dbguard.testing.TestDatabase;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * A Hard Isolation schema for tests: the shipped helper, a table {@code items} owned by the superuser with
 * forced RLS and a policy on the helper, and a login role {@code <db>_app} that is neither owner,
 * superuser nor BYPASSRLS, with DML on it.
 */
final class RlsSchema {

    static final String PASSWORD = "app-secret";

    private RlsSchema() {
    }

    static String appRole(TestDatabase db) {
        return db.name() + "_app";
    }

    static void create(TestDatabase db) throws SQLException {
        db.createRole(appRole(db), PASSWORD, "");
        db.execute(TenantHelper.sql());
        db.execute("""
                CREATE TABLE items (
                    id        bigserial PRIMARY KEY,
                    tenant_id uuid NOT NULL DEFAULT (ampora_current_tenant())::uuid,
                    payload   text
                );
                ALTER TABLE items ENABLE ROW LEVEL SECURITY;
                ALTER TABLE items FORCE ROW LEVEL SECURITY;
                CREATE POLICY tenant_isolation ON items
                    USING (tenant_id = (SELECT ampora_current_tenant())::uuid)
                    WITH CHECK (tenant_id = (SELECT ampora_current_tenant())::uuid);
                """);
        db.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON items TO " + appRole(db)
                + "; GRANT USAGE ON SEQUENCE items_id_seq TO " + appRole(db));
    }

    static DataSource app(TestDatabase db) {
        return db.dataSource(appRole(db), PASSWORD);
    }
}
