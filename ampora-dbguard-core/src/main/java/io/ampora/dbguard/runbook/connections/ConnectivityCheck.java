package io.ampora.dbguard.runbook.connections;

import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.ConnectionAttempt;
import io.ampora.dbguard.check.ConnectionInfo;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.NoFreePoolConnectionException;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.ServerFacts;
import io.ampora.dbguard.check.Target;
import io.ampora.dbguard.internal.SettingValues;

/**
 * Runbook 1, "Cannot connect": reports whether the report's first connection succeeded and, when it did
 * not, names the cause with its fix (host not resolvable, refused, timeout, wrong password, no
 * pg_hba.conf entry, missing database, too many clients, server starting or recovering, TLS), quoting
 * the driver's message verbatim with secrets masked.
 */
public final class ConnectivityCheck implements DatabaseCheck {

    @Override
    public String id() {
        return "connectivity";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.CANNOT_CONNECT;
    }

    @Override
    public String description() {
        return "Connects to the database and, on failure, names the cause and its fix.";
    }

    @Override
    public boolean requiresConnection() {
        return false;
    }

    /**
     * {@link CheckScope#INSTANCE}: its answer is this instance's network path and credentials.
     *
     * @return {@link CheckScope#INSTANCE}
     */
    @Override
    public CheckScope scope() {
        return CheckScope.INSTANCE;
    }

    /**
     * {@link CheckCost#CHEAP}: a few rows from statistics views.
     *
     * @return {@link CheckCost#CHEAP}
     */
    @Override
    public CheckCost cost() {
        return CheckCost.CHEAP;
    }

    @Override
    public CheckResult run(CheckContext context) {
        ConnectionAttempt attempt = context.connectionAttempt(Target.PRIMARY);
        ConnectionInfo info = context.options().connection();
        if (attempt.succeeded()) {
            ServerFacts facts = attempt.facts().orElseThrow();
            return CheckResult.builder(this)
                    .summary("Connected in " + SettingValues.format(attempt.duration()) + " as " + facts.currentUser() + " to "
                            + facts.database() + " (PostgreSQL " + facts.version()
                            + (facts.inRecovery() ? ", a standby in recovery" : "") + ").")
                    .build();
        }
        CheckResult.Builder result = CheckResult.builder(this).status(CheckStatus.FAIL);
        ConnectionDiagnosis diagnosis = ConnectionFailureClassifier.diagnose(attempt);
        NoFreePoolConnectionException noFree = ConnectionFailureClassifier.noFreePoolConnection(
                attempt.error().orElse(null)).orElse(null);
        Finding.Builder finding = Finding.builder("Cannot connect: " + diagnosis.cause().meaning() + ".")
                .detail("cause", diagnosis.cause().name())
                .detail("driverMessage", diagnosis.driverMessage())
                .detail("sqlState", diagnosis.sqlState());
        if (info.isKnown()) {
            finding.detail("url", info.maskedUrl())
                    .detail("host", info.host())
                    .detail("port", info.port())
                    .detail("database", info.database())
                    .detail("user", info.user());
        }
        finding.detail("elapsedMs", attempt.duration().toMillis());
        // An exception of the DataSource's own (a wrapper refusing the guard's session) is what explains the
        // failure: name it in the summary, never only in the details.
        String thrown = "";
        Throwable own = noFree != null ? null
                : ConnectionFailureClassifier.ownException(attempt.error().orElse(null)).orElse(null);
        if (noFree != null) {
            finding.detail("pool", noFree.pool())
                    .detail("borrowed", noFree.borrowed())
                    .detail("total", noFree.total())
                    .detail("maximumPoolSize", noFree.max())
                    .detail("waiting", noFree.waiting());
            thrown = " " + noFree.getMessage() + ".";
        } else if (own != null) {
            finding.detail("exception", own.getClass().getName());
            thrown = " It threw " + own.getClass().getName() + (own.getMessage() == null ? "" : ": " + own.getMessage())
                    + (own.getMessage() != null && own.getMessage().endsWith(".") ? "" : ".");
        }
        return result.summary("Cannot connect" + (info.isKnown() ? " to " + info.host() + ":" + info.port() : "")
                        + ": " + diagnosis.cause().meaning() + "." + thrown)
                .finding(finding.build())
                .remediation(diagnosis.cause().remediation())
                .build();
    }
}
