package io.ampora.dbguard.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.ampora.dbguard.DbGuardConfigurationException;
import io.ampora.dbguard.DbGuardVerificationException;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.spring.boot.autoconfigure.DbGuardFailureAnalyzer;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * The application does not start on a database that would break it, and says why in Boot's
 * "APPLICATION FAILED TO START" report: a migration newer than the code, Flyway's lock held by a stuck
 * session (before any migration runs), a misspelled property.
 */
@ExtendWith(OutputCaptureExtension.class)
class StartupVerificationTest {

    private final PostgresServer server = PostgresServers.get(ServerSpec.defaults());

    @Test
    void migrationNewerThanTheCodeStopsStartupNamingSchemaVersionAndTheFix(CapturedOutput output) throws Exception {
        try (TestDatabase db = TestDatabase.create(server, getClass())) {
            String role = BootApp.appRole(db);
            migrate(db, role, "classpath:db/newer"); // a newer release migrated to version 2; this code knows 1

            Throwable failure = catchThrowable(() -> BootApp.run(BootApp.properties(db, role)).close());

            DbGuardVerificationException verification = cause(failure, DbGuardVerificationException.class);
            CheckResult schemaVersion = verification.report().result("schema-version").orElseThrow();
            assertThat(schemaVersion.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(schemaVersion.summary()).contains("2");
            FailureAnalysis analysis = new DbGuardFailureAnalyzer().analyze(failure);
            assertThat(analysis.getDescription()).contains("schema-version FAIL").contains(schemaVersion.summary());
            assertThat(analysis.getAction()).contains("schema-version: " + schemaVersion.remediation().lines().findFirst().orElseThrow());
            assertThat(output.getAll()).contains("APPLICATION FAILED TO START").contains("Description:")
                    .contains("schema-version FAIL").contains("Action:");

            Map<String, Object> logOnly = BootApp.properties(db, role);
            logOnly.put("ampora.dbguard.verify-on-startup", "false");
            try (BootApp app = BootApp.start(logOnly)) {
                assertThat(app.context.isActive()).isTrue();
                assertThat(output.getAll()).contains("ampora.dbguard.verify-on-startup=false: starting anyway")
                        .contains(schemaVersion.summary());
            }
        }
    }

    @Test
    void disabledStarterLeavesTheApplicationsDataSourceAndHealthGroupsAlone() throws Exception {
        try (TestDatabase db = TestDatabase.create(server, getClass())) {
            Map<String, Object> properties = BootApp.properties(db, BootApp.appRole(db));
            properties.put("ampora.dbguard.enabled", "false");
            try (BootApp app = BootApp.start(properties)) {
                assertThat(app.context.getBeanNamesForType(io.ampora.dbguard.DbGuard.class)).isEmpty();
                assertThat(app.bean(javax.sql.DataSource.class)).isInstanceOf(com.zaxxer.hikari.HikariDataSource.class);
                String readiness = app.get("/actuator/health/readiness").body();
                assertThat(readiness).contains("\"status\":\"UP\"").doesNotContain("dbguard");
                assertThat(app.get("/actuator/dbguard").statusCode()).isEqualTo(404);
            }
        }
    }

    @Test
    void flywayLockHeldByAStuckSessionStopsStartupNamingItsPidBeforeAnyMigrationRuns(CapturedOutput output) throws Exception {
        try (TestDatabase db = TestDatabase.create(server, getClass())) {
            String role = BootApp.appRole(db);
            migrate(db, role, "classpath:db/migration");
            Connection holder = db.openSession(role, BootApp.PASSWORD); // a crashed instance of the same application
            int pid;
            try (Statement st = holder.createStatement()) {
                st.execute("SET application_name = 'stuck-migrator'");
                // Flyway's advisory lock key for "public"."flyway_schema_history" (what Flyway and the check compute)
                st.execute("SELECT pg_advisory_lock(" + (0x466C79776179L + "\"public\".\"flyway_schema_history\"".hashCode()) + ")");
                ResultSet rs = st.executeQuery("SELECT pg_backend_pid()");
                rs.next();
                pid = rs.getInt(1);
            }
            Thread.sleep(1_200); // idle past the failAfter below: a crashed migrator, not one in progress
            Map<String, Object> properties = BootApp.properties(db, role);
            properties.put("spring.flyway.locations", "classpath:db/newer"); // V2 is pending
            properties.put("ampora.dbguard.checks.migration-lock.fail-after", "1s");

            Throwable failure = catchThrowable(() -> BootApp.run(properties).close());

            DbGuardVerificationException verification = cause(failure, DbGuardVerificationException.class);
            CheckResult lock = verification.report().result("migration-lock").orElseThrow();
            assertThat(lock.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(verification.getMessage()).contains("pid " + pid + " (stuck-migrator")
                    .contains("pg_terminate_backend(" + pid + ")");
            assertThat(verification.report().checks()).extracting(CheckResult::checkId)
                    .as("only the checks that predict a failed migrate ran, before it")
                    .containsOnly("connectivity", "migration-lock", "migration-permissions", "schema-version");
            assertThat(db.queryString("SELECT count(*) FROM flyway_schema_history WHERE version = '2'"))
                    .as("V2 was not applied").isEqualTo("0");
            assertThat(output.getAll()).contains("APPLICATION FAILED TO START").contains("migration-lock FAIL")
                    .contains("pid " + pid);
        }
    }

    @Test
    void misspelledPropertyStopsStartupNamingTheValidOnes(CapturedOutput output) throws Exception {
        try (TestDatabase db = TestDatabase.create(server, getClass())) {
            String role = BootApp.appRole(db);

            Map<String, Object> group = BootApp.properties(db, role);
            group.put("ampora.dbguard.monitor.intervall", "5s");
            assertThat(cause(catchThrowable(() -> BootApp.run(group).close()), DbGuardConfigurationException.class))
                    .hasMessageContaining("'ampora.dbguard.monitor.intervall'")
                    .hasMessageContaining("valid properties under ampora.dbguard.monitor: fleet, instance, interval, intervals");
            assertThat(output.getAll()).contains("APPLICATION FAILED TO START").contains("Invalid Ampora DbGuard configuration");

            Map<String, Object> key = BootApp.properties(db, role);
            key.put("ampora.dbguard.checks.blocking-locks.warn-aftr", "10s");
            assertThat(cause(catchThrowable(() -> BootApp.run(key).close()), DbGuardConfigurationException.class))
                    .hasMessageContaining("Check 'blocking-locks' has no setting 'warnAftr'; its settings: warnAfter");

            Map<String, Object> id = BootApp.properties(db, role);
            id.put("ampora.dbguard.checks.blocking-lock.warn-after", "10s");
            assertThat(cause(catchThrowable(() -> BootApp.run(id).close()), DbGuardConfigurationException.class))
                    .hasMessageContaining("names unknown check 'blocking-lock'; valid ids: ")
                    .hasMessageContaining("blocking-locks");
        }
    }

    private static void migrate(TestDatabase db, String role, String location) {
        Flyway.configure().dataSource(db.jdbcUrl(), role, BootApp.PASSWORD).locations(location).load().migrate();
    }

    private static <T extends Throwable> T cause(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in " + failure, failure);
    }
}
