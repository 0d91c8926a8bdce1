package io.ampora.dbguard.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.ServerFacts;
import io.ampora.dbguard.testing.NamedTestCheck;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * What {@code ALTER ROLE/DATABASE ... SET} give a new session, as the facts carry it: the most specific level wins,
 * as PostgreSQL applies them at connect, and custom settings (a dot in the name), which may hold secrets such as
 * PostgREST's {@code app.jwt_secret}, never enter the facts (a record anyone may print).
 */
@WithPostgres
class NewSessionSettingsTest {

    @Test
    void theRoleInDatabaseLevelWinsAndACustomSettingsSecretIsLeftOut(TestDatabase db) throws Exception {
        db.createRole("nss_app", "Nss-Pw-1", "");
        db.execute("ALTER DATABASE " + db.name() + " SET statement_timeout = '40s';"
                + " ALTER ROLE nss_app SET statement_timeout = '20s';"
                + " ALTER ROLE nss_app IN DATABASE " + db.name() + " SET statement_timeout = '10s';"
                + " ALTER DATABASE " + db.name() + " SET lock_timeout = '3s';"
                + " ALTER DATABASE " + db.name() + " SET \"app.jwt_secret\" = 'Jwt-Secret-4711'");
        try {
            ServerFacts facts = facts(db, "nss_app", "Nss-Pw-1");

            assertThat(facts.newSessionSetting("statement_timeout")).contains("10s");
            assertThat(facts.newSessionSetting("lock_timeout")).contains("3s");
            assertThat(facts.newSessionSettings()).doesNotContainKey("app.jwt_secret");
            assertThat(facts.toString()).doesNotContain("Jwt-Secret-4711");
            assertThat(facts(db, null, null).newSessionSetting("statement_timeout")).as("another role: the database's")
                    .contains("40s");
        } finally {
            db.execute("ALTER ROLE nss_app RESET ALL; ALTER ROLE nss_app IN DATABASE " + db.name() + " RESET ALL");
        }
    }

    private static ServerFacts facts(TestDatabase db, String user, String password) {
        AtomicReference<ServerFacts> seen = new AtomicReference<>();
        NamedTestCheck capture = new NamedTestCheck("capture-facts", "keeps the report's facts") {
            @Override
            public CheckResult run(CheckContext context) {
                seen.set(context.facts());
                return CheckResult.pass(this, "seen");
            }
        };
        DbGuard.builder().dataSource(user == null ? db.dataSource() : db.dataSource(user, password))
                .checks(List.of(capture)).build().report();
        return seen.get();
    }
}
