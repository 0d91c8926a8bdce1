package io.ampora.dbguard.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.Target;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.EmbeddedServer;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A monitor reports every few seconds; the server's settings (pg_settings, ~350 rows) and the session's TLS
 * state only change with the server's configuration. Counted by PostgreSQL itself (pg_stat_statements): a
 * report reads them once, the following reports only the one small facts statement, and a configuration
 * reload or a restart makes the next report read them again, with the new values. A dedicated server (it is
 * reconfigured and restarted). Reports of per-instance checks only (what a fleet member that is not the runner
 * runs every interval) use an even lighter statement without catalog tables while the kept facts are current.
 */
@WithPostgres(settings = {"shared_preload_libraries=pg_stat_statements", "application_name=facts-kept-test"})
class ServerFactsKeptBetweenReportsTest {

    private static final String SETTINGS = "reset_val";
    private static final String FACTS = "pg_postmaster_start_time";
    private static final String SESSION_TLS = "pg_stat_ssl";
    /** Only in the full facts statement (role memberships), not in the light one of per-instance reports. */
    private static final String FULL_FACTS = "pg_has_role";
    /** Only in the light statement. */
    private static final String LIGHT_FACTS = "AS is_superuser";
    private static final List<String> INSTANCE_ONLY = List.of("connectivity", "tls", "shows-log-min-duration");

    /** Shows the setting the runner handed to checks, so that a re-read is seen in the result too. */
    static final class ShowsLogMinDuration implements DatabaseCheck {
        @Override
        public String id() {
            return "shows-log-min-duration";
        }

        @Override
        public RunbookSection runbook() {
            return RunbookSection.CANNOT_CONNECT;
        }

        @Override
        public String description() {
            return "test: log_min_duration_statement from the server facts";
        }

        @Override
        public boolean requiresConnection() {
            return false;
        }

        @Override
        public CheckScope scope() {
            return CheckScope.INSTANCE;
        }

        @Override
        public CheckResult run(CheckContext context) {
            String value = context.connectionAttempt(Target.PRIMARY).facts().flatMap(f -> f.setting("log_min_duration_statement"))
                    .orElse("?");
            return CheckResult.builder(this).summary(value).build();
        }
    }

    @Test
    void settingsAndTlsAreReadAtTheFirstReportAndAgainOnlyAfterAReloadOrARestart(TestDatabase db) throws Exception {
        assumeTrue(db.server() instanceof EmbeddedServer, "restarting the server needs the embedded PostgreSQL");
        EmbeddedServer server = (EmbeddedServer) db.server();
        db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        // a new session per report, as a guard built from a JDBC URL or an unpooled DataSource has
        DbGuard guard = DbGuard.builder().dataSource(db.dataSource()).addCheck(new ShowsLogMinDuration())
                .only(List.of("connectivity", "tls", "shows-log-min-duration", "txid-wraparound")).build();
        try {
            reset(db);
            Report first = guard.report(INSTANCE_ONLY);
            for (int i = 0; i < 4; i++) {
                Report again = guard.report(INSTANCE_ONLY);
                assertThat(again.checks()).extracting(CheckResult::status)
                        .containsExactly(CheckStatus.PASS, CheckStatus.PASS, CheckStatus.PASS);
                assertThat(tlsEvidence(again)).isEqualTo(tlsEvidence(first));
            }
            assertThat(tlsEvidence(first)).contains("sessionUsesTls=false", "loopback=true");
            assertThat(db.statementCalls(FACTS)).as("the small facts statement runs on every report").isEqualTo(5);
            assertThat(db.statementCalls(SETTINGS)).as("pg_settings read once for 5 reports").isEqualTo(1);
            assertThat(db.statementCalls(SESSION_TLS)).as("the session's TLS state read once for 5 reports").isEqualTo(1);
            assertThat(db.statementCalls(FULL_FACTS)).as("per-instance reports after the first: the light statement").isEqualTo(1);
            // a report with a database-wide check reads the role and extensions again (not the settings)
            assertThat(guard.report().checks()).hasSize(4);
            assertThat(db.statementCalls(FULL_FACTS)).isEqualTo(2);
            assertThat(db.statementCalls(SETTINGS)).isEqualTo(1);
            String before = summaryOf(first, "shows-log-min-duration");

            // a configuration reload (how a new certificate or a changed setting arrives): read again, once
            reset(db);
            db.execute("ALTER SYSTEM SET log_min_duration_statement = 12345");
            db.execute("SELECT pg_reload_conf()");
            Report seen = Await.value("the reloaded setting in a report", Duration.ofSeconds(20),
                    () -> guard.report(INSTANCE_ONLY), r -> summaryOf(r, "shows-log-min-duration").equals("12345"));
            assertThat(before).isNotEqualTo("12345");
            assertThat(summaryOf(seen, "shows-log-min-duration")).as("the reloaded setting reaches the checks")
                    .isEqualTo("12345");
            guard.report(INSTANCE_ONLY);
            guard.report(INSTANCE_ONLY);
            assertThat(db.statementCalls(SETTINGS)).as("one re-read after the reload, then kept again").isEqualTo(1);
            assertThat(db.statementCalls(SESSION_TLS)).as("the TLS state read again with the settings").isEqualTo(1);

            // a restart: read again at the first report after it, then kept
            server.pause();
            server.restart();
            reset(db);
            for (int i = 0; i < 3; i++) {
                Report after = guard.report(INSTANCE_ONLY);
                assertThat(after.checks()).extracting(CheckResult::status)
                        .containsExactly(CheckStatus.PASS, CheckStatus.PASS, CheckStatus.PASS);
            }
            assertThat(db.statementCalls(LIGHT_FACTS)).as("each report's light statement; the first saw the new start time")
                    .isEqualTo(3);
            assertThat(db.statementCalls(FULL_FACTS)).as("one full facts read after the restart").isEqualTo(1);
            assertThat(db.statementCalls(SETTINGS)).as("one read after the restart").isEqualTo(1);
            assertThat(db.statementCalls(SESSION_TLS)).as("one TLS read after the restart").isEqualTo(1);
        } finally {
            db.execute("ALTER SYSTEM RESET log_min_duration_statement");
            db.execute("SELECT pg_reload_conf()");
        }
    }

    private static String summaryOf(Report report, String id) {
        return report.checks().stream().filter(r -> r.checkId().equals(id)).findFirst().orElseThrow().summary();
    }

    private static String tlsEvidence(Report report) {
        CheckResult tls = report.checks().stream().filter(r -> r.checkId().equals("tls")).findFirst().orElseThrow();
        return tls.summary() + " " + tls.findings().get(0).details();
    }

    private static void reset(TestDatabase db) throws SQLException {
        db.execute("SELECT pg_stat_statements_reset()");
    }

}
