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
 * <p>Also extended statistics objects ({@code CREATE STATISTICS}) without data on tables that have statistics
 * otherwise: {@code pg_upgrade} carries none over in any version (PostgreSQL 18 carries the table and column
 * statistics only: "Extended statistics are not preserved", its release notes say), and one that a migration creates
 * has none until the next {@code ANALYZE} of its table, which on a large table that rarely changes can be weeks away.
 * Until then the planner ignores it, and the queries it was created for (correlated columns, multi-column
 * {@code GROUP BY}) get the estimates it was meant to fix. Objects on a table that has no statistics at all are
 * covered by that table's finding; objects with statistics target 0 are never built and left out. The data is read from {@code pg_stats_ext}
 * ({@code pg_statistic_ext_data} is for superusers), which shows it only to the table's owner (on 13 and on
 * installations created before 14.12/15.7/16.3: to a role with SELECT on its columns), never under row-level
 * security; objects this role cannot see are counted and named as not judged, like unreadable tables.
 *
 * <p>WARN, not FAIL: the database answers, only more slowly, and one {@code ANALYZE} (which takes no lock that blocks
 * reads or writes) cures it. {@code pg_stats} shows a table only to a role that may read it and for which row-level
 * security is not active; the others are counted and named, never reported as missing statistics, and when they
 * are all the check could not judge, the answer is UNKNOWN. Statistics objects it cannot see are named in the
 * summary but do not make it UNKNOWN when every table was judged: on 15+ only the table's owner sees their data and
 * no grant changes that, so an application role would be UNKNOWN for good.
 *
 * <p>Never waits for a lock: tables under an ACCESS EXCLUSIVE lock are counted, not measured, and nothing deparses
 * a statistics object's expressions (which would open its table).
 */
public final class MissingStatisticsCheck implements DatabaseCheck {

    /** Tables smaller than this are ignored: the planner's guesses cost little there. */
    public static final CheckSetting<Long> MIN_SIZE = CheckSetting.size("minSize", 1024L * 1024,
            "tables smaller than this (for a partitioned table: its partitions together) are not reported");
    /**
     * How many tables are listed as findings, and how many statistics objects besides; the summary counts all of them.
     */
    public static final CheckSetting<Long> TOP =
            CheckSetting.count("top", 20, "how many tables without statistics to list as findings (and as many"
                    + " statistics objects without data)");

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
                + " tables, which autovacuum never analyzes), and extended statistics objects (CREATE STATISTICS) with"
                + " no data (pg_upgrade never carries them over; a new one has none until ANALYZE), with the ANALYZE"
                + " that gives them back.";
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
     * {@link CheckCost#EXPENSIVE}: one look into {@code pg_stats} and one file size per table, and one look into
     * {@code pg_stats_ext} per statistics object, which grows with the schema.
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
        ExtendedStatistics extended = extendedStatistics(context, minSize, top);
        extended.findings().forEach(result::finding);
        String notJudged = unreadable == 0 ? "" : " " + unreadable + (unreadable == 1 ? " table" : " tables")
                + " of at least " + SettingValues.displaySize(minSize) + " could not be judged: this role may not read"
                + " their statistics (no SELECT on them, or row-level security active for it): "
                + String.join(", ", unreadableTables) + (unreadable > unreadableTables.size() ? ", ..." : "")
                + ". Run the check as their owner or a role with SELECT and BYPASSRLS to judge them.";
        long hidden = extended.hidden();
        String objectsNotJudged = hidden == 0 ? "" : " " + hidden
                + (hidden == 1 ? " extended statistics object on a table" : " extended statistics objects on tables")
                + " of at least " + SettingValues.displaySize(minSize) + " could not be judged: pg_stats_ext shows an"
                + " object's data only to its table's owner (on 13, and installations created before 14.12/15.7/16.3:"
                + " to a role with SELECT on its columns), not under row-level security: "
                + String.join(", ", extended.hiddenNames()) + (hidden > extended.hiddenNames().size() ? ", ..." : "")
                + ". Run the check as the tables' owner to judge them.";
        String notMeasured = locked == 0 ? "" : " " + locked + (locked == 1 ? " table was" : " tables were")
                + " not measured: an ACCESS EXCLUSIVE lock is held or asked for on " + (locked == 1 ? "it" : "them")
                + " (a migration?), which measuring would wait for.";
        if (missing == 0 && extended.missing() == 0) {
            if (unreadable > 0) {
                List<String> parts = new ArrayList<>();
                parts.add(notJudged.substring(1, notJudged.indexOf(':')));
                if (hidden > 0) {
                    parts.add(objectsNotJudged.substring(1, objectsNotJudged.indexOf(':')));
                }
                return CheckResult.builder(this).status(CheckStatus.UNKNOWN)
                        .summary("No readable table of at least " + SettingValues.displaySize(minSize)
                                + " lacks planner statistics, but " + String.join(", and ", parts) + ".")
                        .remediation((notJudged + objectsNotJudged).trim())
                        .build();
            }
            if (hidden > 0) {
                // every table judged; only statistics objects of tables this role does not own are not: on 15+ no
                // grant shows them (pg_stats_ext is the owner's), so an UNKNOWN would stay for every application
                // role. PASS for what was judged, naming what was not.
                return CheckResult.pass(this, "Every table of at least " + SettingValues.displaySize(minSize)
                        + " has planner statistics (partitioned tables their own)." + objectsNotJudged + notMeasured);
            }
            return CheckResult.pass(this, "Every table of at least " + SettingValues.displaySize(minSize)
                    + " has planner statistics (partitioned tables their own), its extended statistics objects"
                    + " (CREATE STATISTICS) included." + notMeasured);
        }
        String summary = "";
        if (missing > 0) {
            String listed = missing > missingTables.size() ? " (the " + missingTables.size() + " largest listed)" : "";
            summary = missing + (missing == 1 ? " table holds" : " tables hold") + " data but has no planner"
                    + " statistics" + listed + ": the planner guesses their rows and selectivities, so queries on"
                    + " them may run with far slower plans.";
        }
        if (extended.missing() > 0) {
            long objects = extended.missing();
            String listed = objects > extended.findings().size()
                    ? " (the " + extended.findings().size() + " on the largest tables listed)" : "";
            summary += (summary.isEmpty() ? "" : " ") + objects + (objects == 1
                    ? " extended statistics object (CREATE STATISTICS) on a table with data has"
                    : " extended statistics objects (CREATE STATISTICS) on tables with data have") + " no data yet"
                    + listed + ": the planner plans as if " + (objects == 1 ? "it" : "they")
                    + " did not exist, so the estimates " + (objects == 1 ? "it was" : "they were") + " created for"
                    + " (correlated columns, multi-column GROUP BY) are guesses again.";
        }
        return result.status(CheckStatus.WARN)
                .summary(summary + notJudged + objectsNotJudged + notMeasured)
                .remediation(remediation(missingTables, partitionedTables, missing, extended))
                .build();
    }

    /** The statistics objects without data, as findings, and how many there are in all and hidden from this role. */
    private record ExtendedStatistics(List<Finding> findings, List<String> tables, List<String> partitionedTables,
                                      long missing, List<String> hiddenNames, long hidden) {
    }

    private ExtendedStatistics extendedStatistics(CheckContext context, long minSize, long top) throws Exception {
        List<Finding> findings = new ArrayList<>();
        List<String> tables = new ArrayList<>();
        List<String> partitionedTables = new ArrayList<>();
        List<String> hiddenNames = new ArrayList<>();
        long missing = 0;
        long hidden = 0;
        try (PreparedStatement ps = context.connection().prepareStatement(
                Sql.load(MissingStatisticsCheck.class, id() + "-extended"))) {
            ps.setLong(1, minSize);
            ps.setLong(2, top + 5);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    missing = rs.getLong("missing");
                    hidden = rs.getLong("hidden");
                    String statistics = rs.getString("statistics_name");
                    String table = rs.getString("table_name");
                    if (!rs.getBoolean("readable")) {
                        hiddenNames.add(statistics + " (on " + table + ")");
                        continue;
                    }
                    if (findings.size() >= top) {
                        continue;
                    }
                    boolean partitioned = rs.getBoolean("partitioned");
                    if (!tables.contains(table)) {
                        tables.add(table);
                        if (partitioned) {
                            partitionedTables.add(table);
                        }
                    }
                    findings.add(extendedFinding(statistics, table, partitioned, rs.getLong("bytes"),
                            rs.getString("columns"), rs.getString("kinds")));
                }
            }
        }
        return new ExtendedStatistics(findings, tables, partitionedTables, missing, hiddenNames, hidden);
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

    private static Finding extendedFinding(String statistics, String table, boolean partitioned, long bytes,
                                           String columns, String kinds) {
        String size = SettingValues.formatBytes(bytes);
        // kind "expressions" (PostgreSQL 14+) is the statistics on the object's expressions themselves
        boolean expressions = kinds.contains("expressions");
        String built = kinds.replace(", expressions", "").replace("expressions", "statistics");
        String on = columns == null ? "expressions" : columns + (expressions ? " and expressions" : "");
        String message = "Extended statistics object " + statistics + " (" + built + " on " + on + ") of "
                + (partitioned ? "partitioned table " + table + " (" + size + " in its partitions)"
                        : "table " + table + " (" + size + ")")
                + " has no data: the planner plans as if it did not exist. "
                + (partitioned ? "Autovacuum never analyzes a partitioned table, so only a manual ANALYZE builds it."
                        : "CREATE STATISTICS builds none until the next ANALYZE of its table (on a large table that"
                        + " rarely changes, weeks away), and pg_upgrade carries none over, PostgreSQL 18 included.")
                + " Run ANALYZE " + table + ";";
        return Finding.builder(message)
                .detail("statistics", statistics)
                .detail("table", table)
                .detail("partitioned", partitioned)
                .detail("bytes", bytes)
                .detail("columns", columns == null ? "" : columns)
                .detail("kinds", kinds)
                .detail("fix", "ANALYZE " + table + ";")
                .build();
    }

    private static String remediation(List<String> tables, List<String> partitionedTables, long missing,
                                      ExtendedStatistics extended) {
        List<String> analyze = new ArrayList<>(tables);
        extended.tables().stream().filter(t -> !analyze.contains(t)).forEach(analyze::add);
        List<String> partitioned = new ArrayList<>(partitionedTables);
        extended.partitionedTables().stream().filter(t -> !partitioned.contains(t)).forEach(partitioned::add);
        StringBuilder fix = new StringBuilder("ANALYZE ").append(String.join(", ", analyze)).append(';');
        if (missing > tables.size()) {
            fix.append(" (and the ").append(missing - tables.size()).append(" more)");
        }
        if (extended.missing() > extended.findings().size()) {
            fix.append(" (and the tables of the ").append(extended.missing() - extended.findings().size())
                    .append(" more statistics objects)");
        }
        fix.append(" ANALYZE reads a sample of each table and takes a SHARE UPDATE EXCLUSIVE lock, which blocks neither"
                + " reads nor writes. After a pg_upgrade or a restore, for the whole cluster: vacuumdb --all"
                + " --analyze-in-stages (coarse statistics in seconds, full ones after).");
        if (extended.missing() > 0) {
            fix.append(" pg_upgrade carries no extended statistics over, PostgreSQL 18 included: after an upgrade"
                    + " to 18, vacuumdb --all --analyze-in-stages --missing-stats-only (as a superuser) analyzes the"
                    + " tables that lack any; after a CREATE STATISTICS in a migration, ANALYZE its table in the same"
                    + " migration.");
        }
        if (!partitioned.isEmpty()) {
            fix.append(" Autovacuum will never analyze ").append(String.join(", ", partitioned))
                    .append(": schedule ANALYZE on ").append(partitioned.size() == 1 ? "it" : "them")
                    .append(" (e.g. after each bulk load; it samples the partitions too).");
        }
        return fix.toString();
    }
}
