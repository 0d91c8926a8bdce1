package io.ampora.dbguard;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.report.Report;
import java.util.List;

/**
 * Thrown by {@link DbGuard#verifyOrFail()} when a startup-critical check fails: the message lists every
 * failing check with its evidence and the fix, so the log line that stops a service says why and what
 * to do. The full {@link #report()} is attached.
 */
public class DbGuardVerificationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Report report;

    /**
     * @param report the report whose failures stop the application
     * @param failed the results that count as failures
     */
    public DbGuardVerificationException(Report report, List<CheckResult> failed) {
        super(describe(failed));
        this.report = report;
    }

    /** @return the report that failed verification */
    public Report report() {
        return report;
    }

    private static String describe(List<CheckResult> failed) {
        StringBuilder sb = new StringBuilder("Database verification failed: ")
                .append(failed.size()).append(failed.size() == 1 ? " check" : " checks").append(" did not pass.");
        for (CheckResult r : failed) {
            sb.append("\n- ").append(r.checkId()).append(" [").append(r.status())
                    .append(", runbook ").append(r.runbook().label()).append("]: ").append(r.summary());
            for (Finding f : r.findings()) {
                sb.append("\n    ").append(f.message());
            }
            if (!r.remediation().isEmpty() && r.status() != CheckStatus.PASS) {
                sb.append("\n    fix: ").append(r.remediation().replace("\n", "\n         "));
            }
        }
        return sb.toString();
    }
}
