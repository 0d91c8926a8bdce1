package io.ampora.dbguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every discovered check as a role with only CONNECT, and as one with pg_monitor: no check errors, and a
 * check that cannot see says so with the grant that would let it, never a fake PASS of what it could not see.
 */
@WithPostgres
class LeastPrivilegeTest {

    private static final Pattern SAYS_WHY = Pattern.compile(
            "(?i)grant|pg_monitor|pg_read_all_stats|privilege|superuser|permission|extension|shared_preload|replica|not configured|not installed|not enabled|minStatisticsAge");

    @BeforeAll
    static void schemaWithSomethingToSee(TestDatabase db) throws Exception {
        db.execute(SchemaFixtures.SMALL);
        // Another user's busy session, which only pg_read_all_stats may look into.
        Connection other = db.openSession();
        other.setAutoCommit(false);
        try (Statement st = other.createStatement()) {
            st.execute("SELECT count(*) FROM public.events");
        }
    }

    @Test
    void roleWithOnlyConnectGetsReasonsNotErrors(TestDatabase db) throws Exception {
        String role = "lp_connect_" + Math.abs(db.name().hashCode() % 100000);
        db.createRole(role, "pw-c", "");
        db.execute("REVOKE TEMPORARY ON DATABASE " + db.name() + " FROM " + role);

        Report report = EveryCheck.run(db.dataSource(role, "pw-c"), "role with only CONNECT");

        EveryCheck.assertNoCheckErrors(report);
        for (CheckResult r : report.checks()) {
            if (r.status() == CheckStatus.UNKNOWN || r.status() == CheckStatus.SKIP) {
                assertThat(r.summary() + " " + r.remediation()).as("%s says what it could not see and why", r.checkId())
                        .containsPattern(SAYS_WHY);
            }
        }
        assertThat(report.result("connectivity").orElseThrow().status()).isEqualTo(CheckStatus.PASS);
    }

    @Test
    void roleWithPgMonitorGetsNoErrors(TestDatabase db) throws Exception {
        String role = "lp_monitor_" + Math.abs(db.name().hashCode() % 100000);
        db.createRole(role, "pw-m", "");
        db.execute("GRANT pg_monitor TO " + role);

        Report report = EveryCheck.run(db.dataSource(role, "pw-m"), "role with pg_monitor");

        EveryCheck.assertNoCheckErrors(report);
        assertThat(report.checks()).noneSatisfy(r -> assertThat(r.summary()).startsWith("No privilege to look"));
    }
}
