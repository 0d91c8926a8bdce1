package io.ampora.dbguard.runbook.locks;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.SettingOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Runbook 7, when the lock holder is nobody: prepared transactions ({@code PREPARE TRANSACTION 'gid'},
 * two-phase commit) left behind by a transaction manager that crashed or forgot them. They have no session,
 * so "terminate the session" has no pid to terminate; they keep their locks, hold back vacuum's xmin
 * horizon and freezing, and survive restarts until someone runs {@code ROLLBACK PREPARED 'gid'} (or
 * {@code COMMIT PREPARED 'gid'}) in their database.
 *
 * <p>Lists every prepared transaction by gid, owner, database and age, the locks it holds and the sessions
 * waiting on them. WARN past {@code warnAfter} (5 minutes), FAIL past {@code failAfter} (30 minutes).
 * SKIP when {@code max_prepared_transactions} is 0 (the default): the server cannot hold any. Needs no
 * privilege: {@code pg_prepared_xacts} and {@code pg_locks} are readable by every role.
 */
public final class PreparedTransactionsCheck implements DatabaseCheck {

    /** A transaction prepared longer ago than this warns. */
    public static final CheckSetting<Duration> WARN_AFTER = CheckSetting.duration("warnAfter", Duration.ofMinutes(5),
            "how long a transaction may stay prepared before the check warns");
    /** A transaction prepared longer ago than this fails. */
    public static final CheckSetting<Duration> FAIL_AFTER = CheckSetting.duration("failAfter", Duration.ofMinutes(30),
            "how long a transaction may stay prepared before the check fails");

    @Override
    public String id() {
        return "prepared-transactions";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.LOCKED_WEDGED;
    }

    @Override
    public String description() {
        return "Prepared (two-phase) transactions left behind: gid, owner, database, age, the locks they hold and who"
                + " waits; ROLLBACK PREPARED in their database.";
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

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        if (!PreparedTransactions.enabled(context)) {
            return CheckResult.skip(this, "max_prepared_transactions is 0 on this server: two-phase commit is not"
                    + " enabled, so it cannot hold prepared transactions and none can be left behind.");
        }
        Duration warnAfter = context.setting(WARN_AFTER);
        Duration failAfter = context.setting(FAIL_AFTER);
        List<PreparedTransactions.Prepared> all = PreparedTransactions.read(context);
        String limit = Sessions.age(warnAfter.toMillis() / 1000.0);
        if (all.isEmpty()) {
            return CheckResult.pass(this, "No prepared transaction.");
        }
        CheckResult.Builder result = CheckResult.builder(this);
        List<String> actions = new ArrayList<>();
        int old = 0;
        for (PreparedTransactions.Prepared p : all) {
            long millis = Math.round(p.preparedSeconds() * 1000);
            if (millis <= warnAfter.toMillis()) {
                continue;
            }
            old++;
            result.atLeast(millis > failAfter.toMillis() ? CheckStatus.FAIL : CheckStatus.WARN).finding(finding(p));
            actions.add(p.describe() + ": connect to " + p.databaseIdent() + " and run " + p.rollback() + ";");
        }
        PreparedTransactions.Prepared oldest = all.get(0);
        if (old == 0) {
            return result.summary(all.size() + (all.size() == 1 ? " prepared transaction" : " prepared transactions")
                    + ", none older than " + limit + " (warnAfter); the oldest, " + oldest.gidLiteral() + ", was prepared "
                    + Sessions.age(oldest.preparedSeconds()) + " ago.").build();
        }
        return result.summary(old + (old == 1 ? " prepared transaction has" : " prepared transactions have")
                        + " been left prepared longer than " + limit + "; the oldest, " + oldest.gidLiteral() + " (owner "
                        + oldest.owner() + ", database " + oldest.database() + "), for "
                        + Sessions.age(oldest.preparedSeconds()) + ".")
                .remediation(String.join("\n", actions) + "\nA prepared transaction belongs to a transaction manager"
                        + " (XA, a two-phase commit coordinator): if it decided to commit, use COMMIT PREPARED instead."
                        + " Each statement must run in the transaction's database, as its owner or a superuser."
                        + " Set max_prepared_transactions = 0 if nothing should use two-phase commit.")
                .build();
    }

    private static Finding finding(PreparedTransactions.Prepared p) {
        StringBuilder message = new StringBuilder("Prepared transaction ").append(p.gidLiteral())
                .append(" (owner ").append(p.owner()).append(", database ").append(p.database())
                .append(") has been prepared for ").append(Sessions.age(p.preparedSeconds())).append(" and holds ")
                .append(p.lockCount()).append(p.lockCount() == 1 ? " lock" : " locks");
        if (p.lockedObjects() != null) {
            message.append(" (on ").append(p.lockedObjects()).append(')');
        }
        int waiting = p.waitingPids().size();
        if (waiting > 0) {
            message.append("; ").append(waiting).append(waiting == 1 ? " session waits" : " sessions wait")
                    .append(" on it (pid ").append(p.waitingPids().get(0)).append(waiting > 1 ? ", ..." : "").append(')');
            if (p.longestWaitSeconds() != null) {
                message.append(", the longest for ").append(Sessions.age(p.longestWaitSeconds()));
            }
        }
        message.append(". It holds back vacuum's horizon and freezing by ").append(p.xidAge())
                .append(p.xidAge() == 1 ? " transaction" : " transactions").append(" until it ends. ").append(p.action());
        return p.details(Finding.builder(message.toString())).build();
    }

    /** The server's prepared transactions, the same from every instance; a few rows. */
    @Override
    public CheckScope scope() {
        return CheckScope.DATABASE;
    }

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
}
