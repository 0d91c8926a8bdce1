package io.ampora.dbguard.runbook.versions;

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
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.internal.SettingValues;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Runbook 8, "everything is slow after the restore / the upgrade": tables that hold data but have no planner
 * statistics. {@code pg_upgrade} before PostgreSQL 18 carries no statistics over (it tells the operator to run
 * {@code vacuumdb --all --analyze-in-stages}, easily forgotten in a scripted upgrade) and leaves the activity
 * counters at zero, so autovacuum, which analyzes after enough changes, may not touch a table for weeks; a restore
 * by {@code pg_restore} has none until autovacuum gets to each table. Without statistics the planner takes the
 * table's size from its pages and uses fixed selectivities (0.5 % for an equality), so joins pick nested loops over
 * millions of rows and queries that took milliseconds take minutes, with nothing wrong in the schema or the code.
 *
 * <p>Also partitioned tables: autovacuum analyzes the partitions but never the partitioned table itself (the
 * PostgreSQL documentation says to run {@code ANALYZE} on it by hand), so a query that spans partitions is planned
 * without statistics for the whole.
 *
 * <p>WARN, not FAIL: the database answers, only more slowly, and one {@code ANALYZE} (which takes no lock that blocks
 * reads or writes) cures it. {@code pg_stats} shows a table only to a role that may read it and for which row-level
 * security is not active; the others are counted and named, never reported as missing statistics, and when they are
 * all the check could not judge, the answer is UNKNOWN.
 */
public final class MissingStatisticsCheck implements DatabaseCheck {

    /** Tables smaller than this are ignored: the planner's guesses cost little there. */
    public static final CheckSetting<Long> MIN_SIZE = CheckSetting.size("minSize", 1024L * 1024,
            "tables smaller than this (for a partitioned table: its partitions together) are not reported");
    /** How many tables are listed as findings; the summary counts all of them. */
    public static final CheckSetting<Long> TOP =
            CheckSetting.count("top", 20, "how many tables without statistics to list as findings");

    @Override
    public String id() {
        return "missing-statistics";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.VERSION_MISMATCH;
    }

    @Override
    public String description() {
        return "Tables with data but no planner statistics (after pg_upgrade before 18 or a restore, and partitioned"
                + " tables, which autovacuum never analyzes), with the ANALYZE that gives them back.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(MIN_SIZE, TOP);
    }

    /**
     * Not at startup: slow plans are no reason to stop a deployment, and the first check after an upgrade is often
     * the deployment that follows it; the monitor and the doctor report it.
     *
     * @return {@code false}
     */
    @Override
    public boolean startupCritical() {
        return false;
    }

    /**
     * {@link CheckScope#DATABASE}: every instance would see the same tables.
     *
     * @return {@link CheckScope#DATABASE}
     */
    @Override
    public CheckScope scope() {
        return CheckScope.DATABASE;
    }

    /**
     * {@link CheckCost#EXPENSIVE}: one look into {@code pg_stats} and one file size per table, which grows with the
     * schema.
     *
     * @return {@link CheckCost#EXPENSIVE}
     */
    @Override
    public CheckCost cost() {
        return CheckCost.EXPENSIVE;
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
        long minSize = context.setting(MIN_SIZE);
        long top = context.setting(TOP);
        CheckResult.Builder result = CheckResult.builder(this);
        List<String> missingTables = new ArrayList<>();
        List<String> unreadableTables = new ArrayList<>();
        List<String> partitionedTables = new ArrayList<>();
        long missing = 0;
        long unreadable = 0;
        long locked = 0;
        try (PreparedStatement ps = context.connection().prepareStatement(Sql.load(MissingStatisticsCheck.class, id()))) {
            ps.setLong(1, minSize);
            // the readable ones come first; the unreadable ones only need counting and a few names
            ps.setLong(2, top + 5);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    locked = rs.getLong("locked");
                    String table = rs.getString("table_name");
                    if (table == null) {
                        continue;
                    }
                    missing = rs.getLong("missing");
                    unreadable = rs.getLong("unreadable");
                    if (!rs.getBoolean("readable")) {
                        unreadableTables.add(table);
                        continue;
                    }
                    if (missingTables.size() >= top) {
                        continue;
                    }
                    missingTables.add(table);
                    boolean partitioned = rs.getBoolean("partitioned");
                    if (partitioned) {
                        partitionedTables.add(table);
                    }
                    result.finding(finding(table, partitioned, rs.getLong("bytes"), (Long) rs.getObject("estimated_rows"),
                            rs.getString("last_analyze"), rs.getString("last_autoanalyze")));
                }
            }
        }
        String notJudged = unreadable == 0 ? "" : " " + unreadable + (unreadable == 1 ? " table" : " tables")
                + " of at least " + SettingValues.displaySize(minSize) + " could not be judged: this role may not read"
                + " their statistics (no SELECT on them, or row-level security active for it): "
                + String.join(", ", unreadableTables) + (unreadable > unreadableTables.size() ? ", ..." : "")
                + ". Run the check as their owner or a role with SELECT and BYPASSRLS to judge them.";
        String notMeasured = locked == 0 ? "" : " " + locked + (locked == 1 ? " table was" : " tables were")
                + " not measured: an ACCESS EXCLUSIVE lock is held or asked for on " + (locked == 1 ? "it" : "them")
                + " (a migration?), which measuring would wait for.";
        if (missing == 0) {
            if (unreadable > 0) {
                return CheckResult.builder(this).status(CheckStatus.UNKNOWN)
                        .summary("No readable table of at least " + SettingValues.displaySize(minSize)
                                + " lacks planner statistics, but" + notJudged.substring(0, notJudged.indexOf(':'))
                                + ".")
                        .remediation(notJudged.trim())
                        .build();
            }
            return CheckResult.pass(this, "Every table of at least " + SettingValues.displaySize(minSize)
                    + " has planner statistics (partitioned tables their own)." + notMeasured);
        }
        String listed = missing > missingTables.size() ? " (the " + missingTables.size() + " largest listed)" : "";
        return result.status(CheckStatus.WARN)
                .summary(missing + (missing == 1 ? " table holds" : " tables hold") + " data but has no planner"
                        + " statistics" + listed + ": the planner guesses their rows and selectivities, so queries on"
                        + " them may run with far slower plans." + notJudged + notMeasured)
                .remediation(remediation(missingTables, partitionedTables, missing))
                .build();
    }

    private static Finding finding(String table, boolean partitioned, long bytes, Long estimatedRows, String lastAnalyze,
                                   String lastAutoanalyze) {
        String size = SettingValues.formatBytes(bytes);
        String message = partitioned
                ? "Partitioned table " + table + " (" + size + " in its partitions) has no statistics of its own:"
                        + " autovacuum analyzes its partitions but never the partitioned table, so a query across"
                        + " partitions is planned from guesses. Run ANALYZE " + table + "; after loads, and on a schedule."
                : "Table " + table + " (" + size + (estimatedRows != null ? ", about " + estimatedRows + " rows" : "")
                        + ") has no planner statistics"
                        + (lastAnalyze == null && lastAutoanalyze == null ? " and no ANALYZE since the activity"
                                + " statistics were reset" : "")
                        + ": what a pg_upgrade before PostgreSQL 18 or a restore leaves until ANALYZE runs. Run"
                        + " ANALYZE " + table + ";";
        return Finding.builder(message)
                .detail("table", table)
                .detail("partitioned", partitioned)
                .detail("bytes", bytes)
                .detail("estimatedRows", estimatedRows == null ? "unknown" : estimatedRows)
                .detail("lastAnalyze", lastAnalyze == null ? "never" : lastAnalyze)
                .detail("lastAutoanalyze", lastAutoanalyze == null ? "never" : lastAutoanalyze)
                .detail("fix", "ANALYZE " + table + ";")
                .build();
    }

    private static String remediation(List<String> tables, List<String> partitioned, long missing) {
        StringBuilder fix = new StringBuilder("ANALYZE ").append(String.join(", ", tables)).append(';');
        if (missing > tables.size()) {
            fix.append(" (and the ").append(missing - tables.size()).append(" more)");
        }
        fix.append(" ANALYZE reads a sample of each table and takes a SHARE UPDATE EXCLUSIVE lock, which blocks neither"
                + " reads nor writes. After a pg_upgrade or a restore, for the whole cluster: vacuumdb --all"
                + " --analyze-in-stages (coarse statistics in seconds, full ones after).");
        if (!partitioned.isEmpty()) {
            fix.append(" Autovacuum will never analyze ").append(String.join(", ", partitioned))
                    .append(": schedule ANALYZE on ").append(partitioned.size() == 1 ? "it" : "them")
                    .append(" (e.g. after each bulk load; it samples the partitions too).");
        }
        return fix.toString();
    }
}
