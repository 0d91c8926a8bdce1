package io.ampora.dbguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A check stuck behind another session's ACCESS EXCLUSIVE lock gives up at lock_timeout; the rest report. */
@WithPostgres
class LockedCatalogTest {

    @Test
    void checkBlockedByAnAccessExclusiveLockIsUnknownWithTheReasonWhileTheOthersComplete(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE locked_table (id int); INSERT INTO locked_table VALUES (1)");
        Connection holder = db.openSession();
        holder.setAutoCommit(false);
        try (Statement st = holder.createStatement()) {
            st.execute("LOCK TABLE locked_table IN ACCESS EXCLUSIVE MODE");
        }
        DatabaseCheck blocked = new NetworkFaultTest.TestCheck("reads-locked-table") {
            @Override
            public CheckResult run(CheckContext context) throws Exception {
                try (Statement st = context.connection().createStatement();
                     ResultSet rs = st.executeQuery("SELECT count(*) FROM locked_table")) {
                    rs.next();
                    return CheckResult.pass(this, rs.getLong(1) + " rows");
                }
            }
        };
        List<DatabaseCheck> checks = new ArrayList<>(DbGuard.discoverChecks());
        checks.add(blocked);

        long t0 = System.nanoTime();
        Report report = DbGuard.builder().dataSource(db.dataSource()).checks(checks)
                .checkTimeout(Duration.ofSeconds(5)).deadline(Duration.ofSeconds(15)).build().report();
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        holder.rollback();

        System.out.println("report with a locked table took " + took.toMillis() + " ms\n" + report.toText());
        CheckResult r = report.result("reads-locked-table").orElseThrow();
        assertThat(r.status()).isEqualTo(CheckStatus.UNKNOWN);
        assertThat(r.summary()).startsWith("Blocked by a lock held by another session; gave up at lock_timeout");
        assertThat(r.remediation()).contains("blocking-locks");
        // lock_timeout (1s) cut it, not the 5s statement budget
        assertThat(took).isLessThan(Duration.ofSeconds(5));
        assertThat(report.checks()).filteredOn(c -> !c.checkId().equals("reads-locked-table"))
                .allSatisfy(c -> assertThat(c.summary()).doesNotContain("Blocked by a lock"));
        assertThat(report.result("connectivity").orElseThrow().status()).isEqualTo(CheckStatus.PASS);
    }
}
