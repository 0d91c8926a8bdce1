package io.ampora.dbguard.runbook.queries;

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
import io.ampora.dbguard.check.ServerFacts;
import io.ampora.dbguard.check.SettingOrder;
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.internal.SettingValues;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runbook 3, "top offenders from pg_stat_statements": the statements of the current database with the
 * highest mean and the highest total execution time (at least {@code minCalls} calls), with their mean,
 * total, calls and shortened text. WARN when a mean exceeds {@code warnMean} (100ms, the runbook's line),
 * FAIL above {@code failMean} (1s).
 *
 * <p>Needs pg_stat_statements preloaded and created in the database; otherwise SKIP with how to enable
 * it. Without {@code pg_read_all_stats} the text of other roles' statements is hidden, which the result
 * says. The time columns follow the installed extension's version, read from the view's columns.
 */
public final class SlowQueriesCheck implements DatabaseCheck {

    /** Mean execution time above which a statement is a warning. */
    public static final CheckSetting<Duration> WARN_MEAN =
            CheckSetting.duration("warnMean", Duration.ofMillis(100), "mean execution time above which a statement warns");
    /** Mean execution time above which a statement is a failure. */
    public static final CheckSetting<Duration> FAIL_MEAN =
            CheckSetting.duration("failMean", Duration.ofSeconds(1), "mean execution time above which a statement fails");
    /** Statements with fewer calls are ignored (one-off maintenance queries). */
    public static final CheckSetting<Long> MIN_CALLS =
            CheckSetting.count("minCalls", 5, "statements with fewer calls are ignored");
    /** How many statements each ranking (by mean, by total) lists. */
    public static final CheckSetting<Long> TOP =
            CheckSetting.count("top", 5, "how many statements to list by mean and by total time");

    static final int MAX_QUERY_TEXT = 200;

    @Override
    public String id() {
        return "slow-queries";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.SLOW_QUERIES;
    }

    @Override
    public String description() {
        return "Top statements by mean and total execution time from pg_stat_statements, against the 100ms line.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(WARN_MEAN, FAIL_MEAN, MIN_CALLS, TOP);
    }

    @Override
    public List<SettingOrder<?>> settingOrders() {
        return List.of(SettingOrder.higherIsWorse(WARN_MEAN, FAIL_MEAN));
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
     * {@link CheckCost#NORMAL}: one scan of a bounded view or catalog.
     *
     * @return {@link CheckCost#NORMAL}
     */
    @Override
    public CheckCost cost() {
        return CheckCost.NORMAL;
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
        StatStatements pss = StatStatements.find(context);
        if (!pss.usable()) {
            return CheckResult.skip(this, pss.unavailable());
        }
        double warnMs = context.setting(WARN_MEAN).toNanos() / 1e6;
        double failMs = context.setting(FAIL_MEAN).toNanos() / 1e6;
        long minCalls = context.setting(MIN_CALLS);
        long top = context.setting(TOP);
        Map<String, Row> rows = read(context, pss, minCalls, top);

        ServerFacts facts = context.facts();
        CheckResult.Builder result = CheckResult.builder(this);
        int slow = 0;
        int hidden = 0;
        Row worst = null;
        for (Row row : rows.values()) {
            if (row.hidden()) {
                hidden++;
            }
            if (row.meanMs > warnMs) {
                slow++;
                result.atLeast(row.meanMs > failMs ? CheckStatus.FAIL : CheckStatus.WARN);
            }
            if (worst == null || row.meanMs > worst.meanMs) {
                worst = row;
            }
            result.finding(row.finding(warnMs));
        }
        if (rows.isEmpty()) {
            return result.summary("No statement in " + facts.database() + " has " + minCalls + " calls or more in"
                    + " pg_stat_statements yet.").build();
        }
        String line = ms(warnMs);
        result.summary(slow == 0
                ? "No statement with " + minCalls + "+ calls has a mean above " + line + "; the slowest averages "
                        + ms(worst.meanMs) + "."
                : slow + " statement" + (slow == 1 ? " averages" : "s average") + " more than " + line
                        + "; the slowest " + ms(worst.meanMs) + " over " + worst.calls + " calls: " + worst.text() + ".");
        if (hidden > 0 && !facts.canReadAllStats()) {
            result.finding(StatStatements.hiddenText(facts, hidden));
        }
        if (slow > 0) {
            result.remediation("Run EXPLAIN (ANALYZE, BUFFERS) on the statements above with representative"
                    + " parameters. Common culprits: a GIN index missing on a JSONB column (see jsonb-gin-index),"
                    + " a missing index on a new or foreign key column (see fk-index), table bloat needing a"
                    + " VACUUM ANALYZE (see vacuum-health). If the application measures more than the database,"
                    + " the time is spent waiting for a pooled connection: see the pool checks.");
        }
        return result.build();
    }

    private static Map<String, Row> read(CheckContext context, StatStatements pss, long minCalls, long top)
            throws SQLException {
        Map<String, Row> rows = new LinkedHashMap<>();
        try (PreparedStatement ps = context.connection().prepareStatement(
                pss.fill(Sql.load(SlowQueriesCheck.class, "slow-queries")))) {
            ps.setLong(1, minCalls);
            ps.setLong(2, top);
            ps.setLong(3, top);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String key = rs.getString("statement_key");
                    Row existing = rows.get(key);
                    if (existing != null) {
                        existing.rankedBy.add(rs.getString("ranked_by"));
                        continue;
                    }
                    Row row = new Row(rs.getString("user_name"), rs.getString("query"), rs.getLong("calls"),
                            rs.getDouble("mean_ms"), rs.getDouble("total_ms"));
                    row.rankedBy.add(rs.getString("ranked_by"));
                    rows.put(key, row);
                }
            }
        }
        return rows;
    }

    static String shorten(String query) {
        String flat = query.replaceAll("\\s+", " ").trim();
        return flat.length() <= MAX_QUERY_TEXT ? flat : flat.substring(0, MAX_QUERY_TEXT - 1) + "…";
    }

    private static String ms(double ms) {
        return SettingValues.format(Duration.ofNanos(Math.round(ms * 1_000_000)));
    }

    private static final class Row {
        final String user;
        final String query;
        final long calls;
        final double meanMs;
        final double totalMs;
        final List<String> rankedBy = new ArrayList<>(2);

        Row(String user, String query, long calls, double meanMs, double totalMs) {
            this.user = user;
            this.query = query;
            this.calls = calls;
            this.meanMs = meanMs;
            this.totalMs = totalMs;
        }

        boolean hidden() {
            return StatStatements.HIDDEN.equals(query);
        }

        String text() {
            return hidden() ? StatStatements.HIDDEN + " (a statement of " + user + ")" : shorten(query);
        }

        Finding finding(double warnMs) {
            String over = meanMs > warnMs ? " (over the " + ms(warnMs) + " line)" : "";
            return Finding.builder("Mean " + ms(meanMs) + over + ", total " + ms(totalMs) + " over " + calls
                            + " calls, as " + user + ": " + text())
                    .detail("query", text())
                    .detail("meanMs", Math.round(meanMs * 100) / 100.0)
                    .detail("totalMs", Math.round(totalMs * 100) / 100.0)
                    .detail("calls", calls)
                    .detail("user", user)
                    .detail("rankedBy", String.join(",", rankedBy))
                    .build();
        }
    }
}
