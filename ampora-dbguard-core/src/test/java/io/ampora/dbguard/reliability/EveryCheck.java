package io.ampora.dbguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.report.Report;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;

/**
 * Runs every check {@link DbGuard#discoverChecks()} finds, so each check that lands later is covered by
 * the reliability tests without touching them, and says whether any check errored.
 */
final class EveryCheck {

    /** Summaries the runner gives a check that broke rather than one that could not see. */
    static final List<String> ERROR_PREFIXES = List.of("Query failed", "The check failed", "The check returned no result",
            "Cut off by statement_timeout", "Did not finish", "Not run");

    private EveryCheck() {
    }

    /**
     * @param dataSource the database
     * @return the report of every discovered check, printed
     */
    static Report run(DataSource dataSource, String label) {
        Report report = DbGuard.builder().dataSource(dataSource).checks(DbGuard.discoverChecks())
                .checkTimeout(Duration.ofSeconds(10)).deadline(Duration.ofSeconds(60)).build().report();
        System.out.println("=== " + label + " (" + report.checks().size() + " checks, " + report.duration().toMillis()
                + " ms) ===\n" + report.toText());
        return report;
    }

    /** Asserts that no check errored: UNKNOWN is fine only with a reason that is not a failure of the check. */
    static void assertNoCheckErrors(Report report) {
        assertThat(report.checks()).as("every discovered check ran").hasSize(DbGuard.discoverChecks().size());
        for (CheckResult r : report.checks()) {
            if (r.status() == CheckStatus.UNKNOWN) {
                assertThat(ERROR_PREFIXES).as("%s: %s", r.checkId(), r.summary())
                        .noneMatch(p -> r.summary().startsWith(p));
                assertThat(r.summary()).as(r.checkId()).doesNotContain("read-only transaction");
            }
        }
    }
}
