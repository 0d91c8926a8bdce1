package io.ampora.dbguard.spring.boot.autoconfigure;

import io.ampora.dbguard.DbGuardConfigurationException;
import io.ampora.dbguard.DbGuardVerificationException;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import java.util.List;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;

/**
 * Turns a failed database verification, or an invalid {@code ampora.dbguard} configuration, into Boot's
 * "APPLICATION FAILED TO START / Description / Action" report: each failing check with its evidence, and
 * its fix. Registered in {@code META-INF/spring.factories}.
 */
public final class DbGuardFailureAnalyzer implements FailureAnalyzer {

    private final Verification verification = new Verification();
    private final Configuration configuration = new Configuration();

    /** Created by Boot. */
    public DbGuardFailureAnalyzer() {
    }

    @Override
    public FailureAnalysis analyze(Throwable failure) {
        FailureAnalysis analysis = verification.analyze(failure);
        return analysis != null ? analysis : configuration.analyze(failure);
    }

    private static final class Verification extends AbstractFailureAnalyzer<DbGuardVerificationException> {
        @Override
        protected FailureAnalysis analyze(Throwable root, DbGuardVerificationException cause) {
            List<CheckResult> failed = cause.report().checks().stream()
                    .filter(r -> r.status() == CheckStatus.FAIL || r.status() == CheckStatus.UNKNOWN)
                    .toList();
            StringBuilder description = new StringBuilder("The database is not fit for this application (Ampora DbGuard, ")
                    .append(cause.report().database()).append("):\n");
            StringBuilder action = new StringBuilder();
            for (CheckResult r : failed) {
                description.append("\n  ").append(r.checkId()).append(" ").append(r.status())
                        .append(" (runbook ").append(r.runbook().label()).append("): ").append(r.summary());
                for (Finding f : r.findings()) {
                    description.append("\n      ").append(f.message());
                    if (!f.details().isEmpty()) {
                        description.append("\n      evidence: ").append(f.details());
                    }
                }
                if (!r.remediation().isEmpty()) {
                    action.append(r.checkId()).append(": ").append(r.remediation().replace("\n", "\n    ")).append("\n");
                }
            }
            action.append("\nThe full report: the dbguard endpoint or the doctor (--format json). To start anyway and"
                    + " only log the report, set ampora.dbguard.verify-on-startup=false.");
            return new FailureAnalysis(description.toString(), action.toString(), cause);
        }
    }

    private static final class Configuration extends AbstractFailureAnalyzer<DbGuardConfigurationException> {
        @Override
        protected FailureAnalysis analyze(Throwable root, DbGuardConfigurationException cause) {
            return new FailureAnalysis("Invalid Ampora DbGuard configuration: " + cause.getMessage(),
                    "Correct the ampora.dbguard property named above (the valid names are listed), or set"
                            + " ampora.dbguard.enabled=false to turn the starter off.", cause);
        }
    }
}
