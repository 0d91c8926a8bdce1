package io.ampora.dbguard.runbook.connections;

import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckSetting;
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

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Runbook 1, "Cannot connect": reports whether the report's first connection succeeded and, when it did
 * not, names the cause with its fix (host not resolvable, refused, timeout, wrong password, no
 * pg_hba.conf entry, missing database, too many clients, server starting or recovering, TLS), quoting
 * the driver's message verbatim with secrets masked.
 *
 * <p>A connection that succeeds to a standby in recovery fails too, unless told otherwise: the guard's
 * primary target is where the application writes, and a standby refuses every write ("cannot execute
 * INSERT in a read-only transaction", SQLSTATE 25006). That is what a URL, DNS name or virtual IP that still
 * names the old primary after a failover reaches, or a multi-host URL that lets pgjdbc pick any host. A
 * service that only reads and is meant to use a standby sets {@link #EXPECT_PRIMARY} to false, or asks pgjdbc
 * for a standby in its URL ({@code targetServerType=secondary} or {@code preferSecondary}).
 */
public final class ConnectivityCheck implements DatabaseCheck {

    /** Whether the database must accept writes; a standby in recovery then fails the check. */
    public static final CheckSetting<Boolean> EXPECT_PRIMARY = CheckSetting.flag("expectPrimary", true,
            "whether the database must accept writes: FAIL when it is a standby in recovery (false for a service"
                    + " that only reads from a standby)");

    /** pgjdbc's {@code targetServerType} values that ask for a standby. */
    private static final Set<String> ASKS_FOR_STANDBY = Set.of("secondary", "slave", "prefersecondary", "preferslave");

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

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(EXPECT_PRIMARY);
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
            String connected = "Connected in " + SettingValues.format(attempt.duration()) + " as " + facts.currentUser()
                    + " to " + facts.database() + " (PostgreSQL " + facts.version();
            if (!facts.inRecovery()) {
                return CheckResult.pass(this, connected + ").");
            }
            String targetServerType = info.property("targetServerType").orElse("any");
            if (!context.setting(EXPECT_PRIMARY)) {
                return CheckResult.pass(this, connected + ", a standby in recovery; connectivity.expectPrimary is off).");
            }
            if (ASKS_FOR_STANDBY.contains(targetServerType.toLowerCase(Locale.ROOT))) {
                return CheckResult.pass(this, connected + ", a standby in recovery, as the URL asks: targetServerType="
                        + targetServerType + ").");
            }
            return onStandby(connected, info, targetServerType);
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
                .remediation(ConnectionFailureClassifier.remediation(diagnosis, info.isKnown() ? info.user() : null,
                        info.isKnown() ? info.database() : null))
                .build();
    }

    /**
     * The application's database is a standby: it connects, and then every write fails.
     */
    private CheckResult onStandby(String connected, ConnectionInfo info, String targetServerType) {
        Finding.Builder finding = Finding.builder("The database the application writes to is a standby in recovery"
                        + " (pg_is_in_recovery() is true): it refuses every write.")
                .detail("inRecovery", true)
                .detail("targetServerType", targetServerType);
        if (info.isKnown()) {
            finding.detail("url", info.maskedUrl())
                    .detail("host", info.host())
                    .detail("port", info.port())
                    .detail("database", info.database());
        }
        boolean severalHosts = info.maskedUrl().matches("(?i)jdbc:postgresql://[^/?]*,.*");
        return CheckResult.builder(this).status(CheckStatus.FAIL)
                .summary(connected + "), but it is a standby in recovery: every write fails with \"cannot execute ..."
                        + " in a read-only transaction\" (SQLSTATE 25006), so the application can neither save nor"
                        + " migrate.")
                .finding(finding.build())
                .remediation("Point the application at the primary. After a failover a URL, DNS name or virtual IP that"
                        + " still names the old primary reaches it as a standby; this standby names the primary it"
                        + " streams from: SELECT sender_host, sender_port FROM pg_stat_wal_receiver; (a role needs"
                        + " pg_read_all_stats to see them)."
                        + (severalHosts ? " The URL lists several hosts and pgjdbc connects to any of them (targetServerType="
                                + targetServerType + "): add targetServerType=primary."
                                : " With several hosts in the URL, add targetServerType=primary so pgjdbc picks the primary"
                                + " (jdbc:postgresql://host1,host2/db?targetServerType=primary).")
                        + " A service that only reads and is meant to use a standby: set connectivity.expectPrimary=false"
                        + " (doctor: --set connectivity.expectPrimary=false).")
                .build();
    }
}
