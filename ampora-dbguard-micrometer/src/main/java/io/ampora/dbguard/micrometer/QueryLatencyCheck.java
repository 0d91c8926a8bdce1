package io.ampora.dbguard.micrometer;

import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.SettingOrder;
import io.ampora.dbguard.internal.SettingValues;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Runbook 3, "Slow queries": the p95 of the application's own statements over a recent window, from the
 * {@link QueryMetrics} decorator (the runbook's {@code ampora_db_query_duration_seconds_bucket}), WARN
 * above {@code warnP95} (100 ms, the runbook's "over 100 ms consistently") and FAIL above
 * {@code failP95}. It tells "the database is slow" (statement execution) apart from "the application
 * waits for the pool" (time in {@code getConnection()}, timed separately) and points at
 * {@code slow-queries} or {@code pool-saturation} accordingly.
 *
 * <p>The window is the last {@code window} (1 minute) of at most 2048 most recent statements, kept by the
 * decorator itself: registries disagree on how their histograms decay (Prometheus' never do), so the
 * check does not depend on them. With fewer than {@code minSamples} statements in the window it SKIPs:
 * a p95 of three queries says nothing.
 *
 * <p>It affects no health probe: slowness takes every instance out of the load balancer at once, which
 * turns a slow service into an outage. Alert on the metric or the report instead.
 */
public final class QueryLatencyCheck implements DatabaseCheck {

    /** The p95 above which the check warns. */
    public static final CheckSetting<Duration> WARN_P95 = CheckSetting.duration("warnP95", Duration.ofMillis(100),
            "p95 of statement execution (or of the wait for a connection) above which the check warns");
    /** The p95 above which the check fails. */
    public static final CheckSetting<Duration> FAIL_P95 = CheckSetting.duration("failP95", Duration.ofSeconds(1),
            "p95 of statement execution (or of the wait for a connection) above which the check fails");
    /** How far back the check looks. */
    public static final CheckSetting<Duration> WINDOW = CheckSetting.duration("window", Duration.ofMinutes(1),
            "how far back statements count (at most the 2048 most recent)");
    /** The fewest statements in the window for a p95 to mean something. */
    public static final CheckSetting<Long> MIN_SAMPLES = CheckSetting.count("minSamples", 20,
            "the fewest statements in the window for the check to judge; fewer is SKIP");

    private final QueryMetrics metrics;

    /**
     * @param metrics the decorator's metrics whose statements to judge ({@link QueryMetrics#latencyCheck()})
     */
    public QueryLatencyCheck(QueryMetrics metrics) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    @Override
    public String id() {
        return "query-latency";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.SLOW_QUERIES;
    }

    @Override
    public String description() {
        return "p95 of the application's statement time over a recent window, told apart from the wait for a pooled connection.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(WARN_P95, FAIL_P95, WINDOW, MIN_SAMPLES);
    }

    @Override
    public List<SettingOrder<?>> settingOrders() {
        return List.of(SettingOrder.higherIsWorse(WARN_P95, FAIL_P95));
    }

    @Override
    public boolean startupCritical() {
        return false;
    }

    @Override
    public boolean requiresConnection() {
        return false;
    }

    @Override
    public Set<Probe> probes() {
        return Set.of();
    }

    /**
     * {@link CheckScope#INSTANCE}: it reads this instance's own statement timings.
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
        Duration warn = context.setting(WARN_P95);
        Duration fail = context.setting(FAIL_P95);
        Duration window = context.setting(WINDOW);
        long minSamples = context.setting(MIN_SAMPLES);
        LatencyWindow.Stats queries = metrics.queryStats(window);
        LatencyWindow.Stats acquires = metrics.acquireStats(window);
        if (queries.samples() < minSamples) {
            return CheckResult.skip(this, "Only " + queries.samples() + " statement(s) in the last " + SettingValues.format(window)
                    + " went through the metered DataSource; " + minSamples + " are needed for a meaningful p95."
                    + " Give the application the DataSource from QueryMetrics.wrap(...), or lower query-latency.minSamples.");
        }
        CheckStatus queryStatus = grade(queries.p95(), warn, fail);
        CheckStatus waitStatus = acquires.samples() >= minSamples ? grade(acquires.p95(), warn, fail) : CheckStatus.PASS;
        CheckResult.Builder result = CheckResult.builder(this).status(queryStatus.worse(waitStatus));
        String numbers = "statement p95 " + SettingValues.format(queries.p95()) + " over " + queries.samples() + " statements in the last "
                + SettingValues.format(window) + ", connection wait p95 " + SettingValues.format(acquires.p95()) + " over " + acquires.samples()
                + " acquisitions (thresholds " + SettingValues.format(warn) + " / " + SettingValues.format(fail) + ")";
        if (queryStatus == CheckStatus.PASS && waitStatus == CheckStatus.PASS) {
            return result.summary("Queries are fast: " + numbers + ".").build();
        }
        StringBuilder remediation = new StringBuilder();
        if (queryStatus != CheckStatus.PASS) {
            Finding.Builder f = Finding.builder("The database is slow: the p95 of statement execution is "
                            + SettingValues.format(queries.p95()) + " over the last " + SettingValues.format(window) + " (" + queries.samples()
                            + " statements), above " + SettingValues.format(queryStatus == CheckStatus.FAIL ? fail : warn)
                            + (queries.slowest().isEmpty() ? "" : "; slowest operation '" + queries.slowest() + "' at p95 "
                            + SettingValues.format(queries.slowestP95())) + ". Pool waits are not included.")
                    .detail("cause", "database")
                    .detail("p95Ms", millis(queries.p95()))
                    .detail("p50Ms", millis(queries.p50()))
                    .detail("maxMs", millis(queries.max()))
                    .detail("samples", queries.samples())
                    .detail("windowSeconds", window.toSeconds());
            if (!queries.slowest().isEmpty()) {
                f.detail("slowestOperation", queries.slowest()).detail("slowestOperationP95Ms", millis(queries.slowestP95()));
            }
            result.finding(f.build());
            remediation.append("Find the top offenders with the slow-queries check (pg_stat_statements) and EXPLAIN ANALYZE"
                    + " them: a missing index (GIN on a JSONB column now queried, an index on a new column) or table"
                    + " bloat needing VACUUM ANALYZE.");
        }
        if (waitStatus != CheckStatus.PASS) {
            result.finding(Finding.builder("The application waits for the pool: the p95 of getConnection() is "
                            + SettingValues.format(acquires.p95()) + " over the last " + SettingValues.format(window) + " (" + acquires.samples()
                            + " acquisitions), above " + SettingValues.format(waitStatus == CheckStatus.FAIL ? fail : warn)
                            + "; this wait adds to every request but is not the database being slow.")
                    .detail("cause", "pool-wait")
                    .detail("acquireP95Ms", millis(acquires.p95()))
                    .detail("acquireP50Ms", millis(acquires.p50()))
                    .detail("acquireMaxMs", millis(acquires.max()))
                    .detail("acquireSamples", acquires.samples())
                    .build());
            if (remediation.length() > 0) {
                remediation.append(' ');
            }
            remediation.append("The pool is saturated (see pool-saturation): long-running queries or transactions hold"
                    + " connections, or the pool is too small for the load; shorten them, or raise maximumPoolSize"
                    + " within max_connections.");
        }
        String cause = queryStatus != CheckStatus.PASS && waitStatus != CheckStatus.PASS ? "the database is slow and the pool is saturated"
                : queryStatus != CheckStatus.PASS ? "the database is slow" : "the application waits for a pooled connection";
        return result.summary("Slow: " + cause + "; " + numbers + ".").remediation(remediation.toString()).build();
    }

    private static CheckStatus grade(Duration p95, Duration warn, Duration fail) {
        if (p95.compareTo(fail) > 0) {
            return CheckStatus.FAIL;
        }
        return p95.compareTo(warn) > 0 ? CheckStatus.WARN : CheckStatus.PASS;
    }

    private static double millis(Duration d) {
        return Math.round(d.toNanos() / 10_000.0) / 100.0;
    }
}
