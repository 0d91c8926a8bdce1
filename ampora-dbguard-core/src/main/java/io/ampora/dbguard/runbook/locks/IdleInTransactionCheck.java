package io.ampora.dbguard.runbook.locks;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.GuardOptions;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.SettingOrder;
import io.ampora.dbguard.check.Sql;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runbook 7: the psql left open in the middle of a transaction. Finds sessions {@code idle in transaction}
 * (or {@code idle in transaction (aborted)}, after an error nobody rolled back) longer than
 * {@code warnAfter} (1 minute; FAIL past {@code failAfter}, 10 minutes): they hold their locks and their
 * snapshot while doing nothing. An external session is terminated; an application session means a code
 * path that misses a commit or rollback.
 *
 * <p>It also recommends {@code idle_in_transaction_session_timeout} when it is off for new sessions of
 * this role and database, so the server ends such sessions by itself, and mentions
 * {@code transaction_timeout} (PostgreSQL 17+) and {@code idle_session_timeout} (14+) where the server has
 * them. Without {@code pg_read_all_stats}, other roles' sessions in a transaction make it UNKNOWN with the grant.
 */
public final class IdleInTransactionCheck implements DatabaseCheck {

    /** Idle in a transaction longer than this warns. */
    public static final CheckSetting<Duration> WARN_AFTER = CheckSetting.duration("warnAfter", Duration.ofMinutes(1),
            "how long a session may sit idle inside a transaction before the check warns");
    /** Idle in a transaction longer than this fails. */
    public static final CheckSetting<Duration> FAIL_AFTER = CheckSetting.duration("failAfter", Duration.ofMinutes(10),
            "how long a session may sit idle inside a transaction before the check fails");

    private static final int MAX_FINDINGS = 10;

    @Override
    public String id() {
        return "idle-in-transaction";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.LOCKED_WEDGED;
    }

    @Override
    public String description() {
        return "Sessions idle inside a transaction longer than warnAfter, and whether"
                + " idle_in_transaction_session_timeout would end them.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(WARN_AFTER, FAIL_AFTER);
    }

    @Override
    public List<SettingOrder<?>> settingOrders() {
        return List.of(SettingOrder.higherIsWorse(WARN_AFTER, FAIL_AFTER));
    }

    @Override
    public boolean startupCritical() {
        return false;
    }

    /**
     * {@link CheckScope#DATABASE}: every instance would see the same answer.
     *
     * @return {@link CheckScope#DATABASE}
     */
    @Override
    public CheckScope scope() {
        return CheckScope.DATABASE;
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

    /**
     * None: a database-wide condition every instance sees at once (see {@link DatabaseCheck#probes()}). The monitor
     * still reports, logs and counts it.
     *
     * @return no probe
     */
    @Override
    public Set<Probe> probes() {
        return Set.of();
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        Duration warnAfter = context.setting(WARN_AFTER);
        Duration failAfter = context.setting(FAIL_AFTER);
        List<OpenTransactions.Row> rows = OpenTransactions.read(context, id());
        List<OpenTransactions.Row> hidden = rows.stream().filter(OpenTransactions.Row::hidden).toList();
        List<OpenTransactions.Row> idle = rows.stream()
                .filter(r -> !r.hidden() && r.stateSeconds() != null && r.stateSeconds() * 1000 > warnAfter.toMillis())
                .toList();
        String advice = timeoutAdvice(context);

        CheckResult.Builder result = CheckResult.builder(this);
        List<String> actions = new ArrayList<>();
        for (OpenTransactions.Row r : idle) {
            result.atLeast(r.stateSeconds() * 1000 > failAfter.toMillis() ? CheckStatus.FAIL : CheckStatus.WARN);
            if (actions.size() < MAX_FINDINGS) {
                result.finding(finding(r, context.options()));
                actions.add(Sessions.describe(r.pid(), r.applicationName(), r.user()) + ": " + action(r, context.options()));
            }
        }
        if (!hidden.isEmpty()) {
            result.atLeast(CheckStatus.UNKNOWN)
                    .finding(OpenTransactions.hiddenFinding(hidden, "whether they are idle"));
        }
        String limit = Sessions.age(warnAfter.toMillis() / 1000.0);
        String summary;
        if (idle.isEmpty()) {
            summary = "No session " + (hidden.isEmpty() ? "" : "visible to this role ") + "has been idle in a transaction longer than "
                    + limit + " (warnAfter).";
            if (!hidden.isEmpty()) {
                actions.add(Sessions.grant(hidden.get(0).roleIdent()) + " so the check can see every session.");
            }
        } else {
            OpenTransactions.Row longest = idle.get(0);
            summary = idle.size() + (idle.size() == 1 ? " session has" : " sessions have") + " been idle in a transaction longer than "
                    + limit + "; the longest for " + Sessions.age(longest.stateSeconds()) + " (pid " + longest.pid() + ").";
        }
        if (!advice.isEmpty()) {
            summary += " " + advice.substring(0, advice.indexOf('.') + 1);
            actions.add(advice);
        }
        return result.summary(summary).remediation(String.join("\n", actions)).build();
    }

    private static String action(OpenTransactions.Row r, GuardOptions options) {
        if (Sessions.isApplication(r.applicationName(), options)) {
            return Sessions.action(r.pid(), r.applicationName(), options)
                    + " A transaction left idle usually means a code path that misses its commit or rollback.";
        }
        return Sessions.action(r.pid(), r.applicationName(), options);
    }

    private static Finding finding(OpenTransactions.Row r, GuardOptions options) {
        String message = Sessions.describe(r.pid(), r.applicationName(), r.user()) + " has been " + r.state() + " for "
                + Sessions.age(r.stateSeconds())
                + (r.transactionSeconds() == null ? "" : " (transaction open for " + Sessions.age(r.transactionSeconds()) + ")")
                + "; its last statement: " + oneLine(r.query()) + ". " + action(r, options);
        Finding.Builder f = Finding.builder(message)
                .detail("pid", r.pid())
                .detail("user", r.user())
                .detail("applicationName", r.applicationName())
                .detail("clientAddress", r.clientAddress())
                .detail("state", r.state())
                .detail("idleFor", Sessions.age(r.stateSeconds()))
                .detail("transactionAge", r.transactionSeconds() == null ? null : Sessions.age(r.transactionSeconds()))
                .detail("xminAge", r.xminAge())
                .detail("query", r.query())
                .detail("applicationSession", Sessions.isApplication(r.applicationName(), options));
        if (!Sessions.isApplication(r.applicationName(), options)) {
            f.detail("terminate", Sessions.terminate(r.pid()));
        }
        return f.build();
    }

    private static String oneLine(String query) {
        String q = query == null ? "" : query.replaceAll("\\s+", " ").trim();
        return q.length() > 120 ? q.substring(0, 117) + "..." : q;
    }

    /** The recommendation when idle_in_transaction_session_timeout is off; empty when it is set. */
    private String timeoutAdvice(CheckContext context) throws SQLException {
        Map<String, String> values = new LinkedHashMap<>();
        String database = null;
        String role = null;
        try (Statement st = context.connection().createStatement();
             ResultSet rs = st.executeQuery(Sql.load(IdleInTransactionCheck.class, "idle-in-transaction-timeouts"))) {
            while (rs.next()) {
                values.put(rs.getString("name"), rs.getString("reset_val"));
                database = rs.getString("database_ident");
                role = rs.getString("role_ident");
            }
        }
        if (!"0".equals(values.get("idle_in_transaction_session_timeout"))) {
            return "";
        }
        StringBuilder advice = new StringBuilder("idle_in_transaction_session_timeout is off, so a session left idle in a"
                + " transaction holds its locks until someone terminates it. Let the server end such sessions: ALTER DATABASE "
                + database + " SET idle_in_transaction_session_timeout = '10min' (or ALTER ROLE " + role
                + " SET ... for one role; sessions pick it up when they connect).");
        if ("0".equals(values.get("transaction_timeout"))) {
            advice.append(" PostgreSQL 17+ can also cap a whole transaction with transaction_timeout (e.g. ALTER ROLE ")
                    .append(role).append(" SET transaction_timeout = '30min').");
        }
        if ("0".equals(values.get("idle_session_timeout"))) {
            advice.append(" idle_session_timeout (PostgreSQL 14+) closes sessions idle outside a transaction; leave it off"
                    + " for pooled connections, which are meant to wait.");
        }
        return advice.toString();
    }
}
