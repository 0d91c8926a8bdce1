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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Runbook 7: "a long-running transaction can lock a row that the live application needs". Lists client
 * transactions open longer than {@code warnAfter} (5 minutes; FAIL past {@code failAfter}, 30 minutes),
 * oldest first, with pid, user, application, state, age, query and {@code age(backend_xmin)}: how far the
 * session holds back vacuum's horizon, so dead rows pile up everywhere while it stays open.
 *
 * <p>Without {@code pg_read_all_stats}, other roles' transaction start and query are hidden. Sessions in a
 * transaction are still found through their virtualxid lock in {@code pg_locks}; the check then reports
 * UNKNOWN with the grant rather than claiming all is well.
 */
public final class LongTransactionsCheck implements DatabaseCheck {

    /** A transaction open longer than this warns. */
    public static final CheckSetting<Duration> WARN_AFTER = CheckSetting.duration("warnAfter", Duration.ofMinutes(5),
            "how long a transaction may stay open before the check warns");
    /** A transaction open longer than this fails. */
    public static final CheckSetting<Duration> FAIL_AFTER = CheckSetting.duration("failAfter", Duration.ofMinutes(30),
            "how long a transaction may stay open before the check fails");

    private static final int MAX_FINDINGS = 10;

    @Override
    public String id() {
        return "long-transactions";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.LOCKED_WEDGED;
    }

    @Override
    public String description() {
        return "Transactions open longer than warnAfter, with their query and how far they hold back vacuum.";
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
        List<OpenTransactions.Row> old = rows.stream()
                .filter(r -> !r.hidden() && r.transactionSeconds() != null && r.transactionSeconds() * 1000 > warnAfter.toMillis())
                .toList();

        CheckResult.Builder result = CheckResult.builder(this);
        List<String> actions = new ArrayList<>();
        int listed = 0;
        for (OpenTransactions.Row r : old) {
            result.atLeast(r.transactionSeconds() * 1000 > failAfter.toMillis() ? CheckStatus.FAIL : CheckStatus.WARN);
            if (listed++ < MAX_FINDINGS) {
                result.finding(finding(r, context.options()));
                if (!r.waitingOnLock()) {
                    actions.add(Sessions.describe(r.pid(), r.applicationName(), r.user()) + ": "
                            + Sessions.action(r.pid(), r.applicationName(), context.options()));
                }
            }
        }
        // A prepared transaction holds the horizon like an open one, with no session to show for it.
        List<PreparedTransactions.Prepared> prepared = PreparedTransactions.enabled(context)
                ? PreparedTransactions.read(context).stream()
                        .filter(p -> p.preparedSeconds() * 1000 > warnAfter.toMillis()).toList()
                : List.of();
        for (PreparedTransactions.Prepared p : prepared) {
            result.atLeast(p.preparedSeconds() * 1000 > failAfter.toMillis() ? CheckStatus.FAIL : CheckStatus.WARN)
                    .finding(p.details(Finding.builder("The " + p.describe() + " holds back vacuum by " + p.xidAge()
                            + (p.xidAge() == 1 ? " transaction" : " transactions") + " like an open transaction (see"
                            + " prepared-transactions). " + p.action())).build());
            actions.add(p.describe() + ": " + p.rollback() + "; in database " + p.databaseIdent() + ".");
        }
        if (!hidden.isEmpty()) {
            result.atLeast(CheckStatus.UNKNOWN)
                    .finding(OpenTransactions.hiddenFinding(hidden, "how long they have been open"));
        }
        String limit = Sessions.age(warnAfter.toMillis() / 1000.0);
        if (old.isEmpty() && !prepared.isEmpty()) {
            return result.summary(prepared.size() + (prepared.size() == 1 ? " prepared transaction has" : " prepared"
                            + " transactions have") + " been open longer than " + limit + " with no session; the oldest, "
                            + prepared.get(0).gidLiteral() + ", for " + Sessions.age(prepared.get(0).preparedSeconds()) + ".")
                    .remediation(String.join("\n", actions)).build();
        }
        if (old.isEmpty()) {
            double oldest = rows.stream().filter(r -> r.transactionSeconds() != null)
                    .mapToDouble(OpenTransactions.Row::transactionSeconds).max().orElse(0);
            boolean anyVisible = rows.size() > hidden.size();
            String seen = "No transaction " + (hidden.isEmpty() ? "" : "visible to this role ") + "open longer than " + limit
                    + " (warnAfter)" + (anyVisible ? "; the oldest is " + Sessions.age(oldest) + " old." : ".");
            if (hidden.isEmpty()) {
                return result.summary(seen).build();
            }
            return result.summary(seen + " " + hidden.size() + (hidden.size() == 1 ? " session of another role is"
                            : " sessions of other roles are") + " in a transaction of unknown age.")
                    .remediation(Sessions.grant(hidden.get(0).roleIdent()) + " so the check can see every session.")
                    .build();
        }
        OpenTransactions.Row oldest = old.get(0);
        return result.summary(old.size() + (old.size() == 1 ? " transaction has" : " transactions have") + " been open longer than "
                        + limit + "; the oldest for " + Sessions.age(oldest.transactionSeconds()) + " (pid " + oldest.pid() + ")"
                        + (old.size() > MAX_FINDINGS ? "; the " + MAX_FINDINGS + " oldest are listed." : ".")
                        + (prepared.isEmpty() ? "" : " " + prepared.size() + " prepared transactions too."))
                .remediation(String.join("\n", actions) + "\nAn open transaction keeps its locks and stops vacuum from"
                        + " removing dead rows. Commit or roll back from its client; keep transactions short in the code,"
                        + " and cap them with statement_timeout"
                        + (context.facts().versionNum() >= 170000 ? " or transaction_timeout" : "") + " for the application's role.")
                .build();
    }

    private static Finding finding(OpenTransactions.Row r, GuardOptions options) {
        StringBuilder message = new StringBuilder(Sessions.describe(r.pid(), r.applicationName(), r.user()))
                .append(" has had a transaction open for ").append(Sessions.age(r.transactionSeconds()));
        if (r.state() != null && !r.state().equals("active") && r.stateSeconds() != null) {
            message.append(" (").append(r.state()).append(" for ").append(Sessions.age(r.stateSeconds())).append(')');
        }
        if (r.xminAge() != null) {
            message.append("; it holds back vacuum by ").append(r.xminAge())
                    .append(r.xminAge() == 1 ? " transaction" : " transactions");
        }
        if (r.waitingOnLock()) {
            // a victim, not a cause: the blocking-locks check names who holds the lock
            message.append(". It is waiting on a lock: see blocking-locks for who holds it.");
        } else {
            message.append(". ").append(Sessions.action(r.pid(), r.applicationName(), options));
        }
        Finding.Builder f = Finding.builder(message.toString())
                .detail("pid", r.pid())
                .detail("user", r.user())
                .detail("applicationName", r.applicationName())
                .detail("clientAddress", r.clientAddress())
                .detail("state", r.state())
                .detail("transactionAge", Sessions.age(r.transactionSeconds()))
                .detail("xminAge", r.xminAge())
                .detail("query", r.query())
                .detail("waitingOnLock", r.waitingOnLock())
                .detail("applicationSession", Sessions.isApplication(r.applicationName(), options));
        if (!r.waitingOnLock() && !Sessions.isApplication(r.applicationName(), options)) {
            f.detail("terminate", Sessions.terminate(r.pid()));
        }
        return f.build();
    }
}
