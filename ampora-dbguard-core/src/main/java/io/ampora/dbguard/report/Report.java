package io.ampora.dbguard.report;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The outcome of one run of the guard's checks: the overall status and every check's result.
 *
 * <p>The overall status is the worst of the checks, where {@link CheckStatus#SKIP} does not count and
 * {@link CheckStatus#UNKNOWN} counts as {@link CheckStatus#FAIL} only when the guard is configured so.
 * Render it with {@link TextReportRenderer} for people and {@link JsonReportRenderer} for tools.
 *
 * @param status        the overall status
 * @param startedAt     when the run started
 * @param duration      how long the whole run took
 * @param checks        every check's result, in the order the checks were configured
 * @param serverVersion the primary's {@code server_version}, empty when it could not be reached
 * @param database      the masked JDBC URL of the primary, empty when the guard does not know it
 */
public record Report(
        CheckStatus status,
        Instant startedAt,
        Duration duration,
        List<CheckResult> checks,
        String serverVersion,
        String database) {

    /** Freezes the list. */
    public Report {
        checks = List.copyOf(checks);
        serverVersion = serverVersion == null ? "" : serverVersion;
        database = database == null ? "" : database;
    }

    /**
     * Computes an overall status from check results.
     *
     * @param results           the results
     * @param unknownIsFailure  whether an UNKNOWN result makes the report FAIL
     * @return the worst status, ignoring SKIP; PASS when there are no results
     */
    public static CheckStatus overall(List<CheckResult> results, boolean unknownIsFailure) {
        CheckStatus worst = CheckStatus.PASS;
        for (CheckResult r : results) {
            CheckStatus s = r.status();
            if (s == CheckStatus.SKIP) {
                continue;
            }
            worst = worst.worse(s == CheckStatus.UNKNOWN && unknownIsFailure ? CheckStatus.FAIL : s);
        }
        return worst;
    }

    /**
     * Finds one check's result.
     *
     * @param checkId the check's id
     * @return the result, empty when the check was not part of this run
     */
    public Optional<CheckResult> result(String checkId) {
        return checks.stream().filter(r -> r.checkId().equals(checkId)).findFirst();
    }

    /**
     * The results with a given status.
     *
     * @param wanted the status
     * @return those results, in report order
     */
    public List<CheckResult> withStatus(CheckStatus wanted) {
        return checks.stream().filter(r -> r.status() == wanted).toList();
    }

    /** @return the report as text for a terminal, without colour */
    public String toText() {
        return new TextReportRenderer(false).render(this);
    }

    /** @return the report as JSON in the documented format */
    public String toJson() {
        return new JsonReportRenderer().render(this);
    }
}
