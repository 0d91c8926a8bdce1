package io.ampora.dbguard.hikari;

import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckScope;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.RunbookSection;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Runbook 4, read from the application side: how full the pool is (active / maximumPoolSize), how many
 * threads wait, how old the oldest lease is and how many leaks were seen. Needs no database session, so
 * it still reports when the database is unreachable. WARN from {@code warnPercent} (80) in use, or when
 * a lease is held past the leak threshold or a leak was seen; FAIL when threads wait on a full pool or a
 * connection was lost without close().
 */
public final class PoolSaturationCheck implements DatabaseCheck {

    /** Share of maximumPoolSize in use from which the check warns. */
    public static final CheckSetting<Double> WARN_PERCENT =
            CheckSetting.percent("warnPercent", 80, "percentage of maximumPoolSize in use from which to warn");

    private static final int MAX_FINDINGS = 10;

    private final GuardedPool pool;

    /** @param pool the pool to look at */
    public PoolSaturationCheck(GuardedPool pool) {
        this.pool = pool;
    }

    @Override
    public String id() {
        return "pool-saturation";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.POOL_EXHAUSTED;
    }

    @Override
    public String description() {
        return "Connection pool usage, waiting threads, oldest lease and leaks seen, from the application side.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(WARN_PERCENT);
    }

    @Override
    public boolean requiresConnection() {
        return false;
    }

    @Override
    public boolean startupCritical() {
        return false;
    }

    /**
     * {@link CheckScope#INSTANCE}: it reads this instance's pool.
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
        HikariPoolMXBean mx = pool.hikari().getHikariPoolMXBean();
        if (mx == null) {
            return CheckResult.skip(this, "Pool " + pool.hikari().getPoolName() + " has not started yet (no connection borrowed).");
        }
        int max = pool.hikari().getMaximumPoolSize();
        int active = mx.getActiveConnections();
        int waiting = mx.getThreadsAwaitingConnection();
        Duration threshold = pool.config().leakThreshold();
        List<LeaseInfo> leases = pool.leases();
        List<LeaseInfo> overdue = leases.stream().filter(l -> l.age().compareTo(threshold) >= 0).toList();
        Duration oldest = leases.isEmpty() ? Duration.ZERO : leases.get(0).age();
        long unclosed = pool.unclosedLeaks();
        long heldTooLong = pool.heldTooLongLeaks();
        double percent = 100.0 * active / Math.max(1, max);

        CheckStatus status = CheckStatus.PASS;
        if (percent >= context.setting(WARN_PERCENT) || !overdue.isEmpty() || heldTooLong > 0) {
            status = CheckStatus.WARN;
        }
        if ((waiting > 0 && active >= max) || unclosed > 0) {
            status = CheckStatus.FAIL;
        }
        CheckResult.Builder result = CheckResult.builder(this).status(status).summary(String.format(Locale.ROOT,
                "Pool %s: %d of %d connections in use (%.0f%%), %d threads waiting, oldest lease %s; leaks seen: %d held"
                        + " past %s, %d never closed.", pool.hikari().getPoolName(), active, max, percent, waiting,
                LeakReport.format(oldest), heldTooLong, LeakReport.format(threshold), unclosed));
        for (LeaseInfo l : overdue.subList(0, Math.min(MAX_FINDINGS, overdue.size()))) {
            result.finding(Finding.builder("Lease " + l.id() + " held for " + LeakReport.format(l.age()) + " by thread '"
                            + l.thread() + "'" + (l.backendPid() > 0 ? " (pid " + l.backendPid() + ")" : "") + ", borrowed at "
                            + (l.borrowSite().isEmpty() ? "(not sampled)" : l.borrowSite().get(0)) + ".")
                    .detail("leaseId", l.id())
                    .detail("pid", l.backendPid())
                    .detail("thread", l.thread())
                    .detail("heldMillis", l.age().toMillis())
                    .detail("borrowSite", l.borrowSite().isEmpty() ? "" : LeakReport.frames(l.borrowSite()).strip())
                    .build());
        }
        List<LeakReport> reports = pool.leakReports();
        for (LeakReport r : reports.subList(Math.max(0, reports.size() - 3), reports.size())) {
            if (r.kind() == LeakReport.Kind.UNCLOSED) {
                result.finding(Finding.builder("Connection leaked without close() (lease " + r.leaseId() + ", thread '"
                                + r.thread() + "'), borrowed at " + (r.borrowSite().isEmpty() ? "(not sampled)" : r.borrowSite().get(0))
                                + (r.reclaimed() ? "; it was rolled back and returned to the pool." : "; it never returns to the pool."))
                        .detail("leaseId", r.leaseId())
                        .detail("reclaimed", r.reclaimed())
                        .detail("borrowSite", r.borrowSite().isEmpty() ? "" : LeakReport.frames(r.borrowSite()).strip())
                        .build());
            }
        }
        if (status != CheckStatus.PASS) {
            result.remediation(unclosed > 0 || heldTooLong > 0 || !overdue.isEmpty()
                    ? ExhaustionCause.LEAK.remediation() + " Long holders that are active in pg_stat_activity are slow queries (runbook 3)."
                    : ExhaustionCause.POOL_UNDERSIZED.remediation());
        }
        return result.build();
    }
}
