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
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.internal.SettingValues;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Runbook 3, a slow query whose sort, hash or aggregate does not fit in {@code work_mem} and spills to
 * temporary files on disk ({@code EXPLAIN (ANALYZE, BUFFERS)} shows {@code Sort Method: external merge  Disk: ...}
 * or {@code Batches} above 1), or that fails with "temporary file size exceeds temp_file_limit". Lists the
 * statements of the current database (at least {@code minCalls} calls) that write {@code warnPerCall} (8MB) or
 * more of temporary files per call, the most written in total first, with their figures, the {@code work_mem}
 * they ran with and the fix: {@code SET LOCAL work_mem} for that statement's transaction, sized from its spill.
 *
 * <p>WARN for a spilling statement: it is slower than it needs to be, nothing is broken yet. FAIL when
 * {@code temp_file_limit} is set and a statement writes {@code failLimitPercent} (50%) of it or more per call:
 * its input only has to double for it to start failing with "temporary file size exceeds temp_file_limit", and
 * a call that already failed is invisible here (pg_stat_statements keeps only completed calls). The written
 * figure is an estimate of the space held at once, which the limit bounds per process: it is higher for a merge
 * that took several passes or a parallel plan whose workers each spill, so a FAIL there is early, not late.
 * The database's totals from {@code pg_stat_database} (every statement, failed ones included, since
 * {@code stats_reset}) are the summary's context.
 *
 * <p>Needs pg_stat_statements preloaded and created in the database; otherwise SKIP with how to enable it.
 * Without {@code pg_read_all_stats} the text of other roles' statements is hidden, which the result says. The
 * time columns follow the installed extension's version, read from the view's columns ({@link StatStatements}).
 */
public final class TempFilesCheck implements DatabaseCheck {

    /** Temporary files written per call from which a statement is listed and warns. */
    public static final CheckSetting<Long> WARN_PER_CALL = CheckSetting.size("warnPerCall", 8L << 20,
            "temporary files written per call (a sort or hash spilling past work_mem) from which a statement warns");
    /** The share of {@code temp_file_limit} written per call from which a statement fails. */
    public static final CheckSetting<Double> FAIL_LIMIT_PERCENT = CheckSetting.percent("failLimitPercent", 50,
            "temporary files written per call, as a percentage of temp_file_limit (when set), from which a statement fails");
    /** Statements with fewer calls are ignored (one-off maintenance queries). */
    public static final CheckSetting<Long> MIN_CALLS =
            CheckSetting.count("minCalls", 5, "statements with fewer calls are ignored");
    /** How many statements to list. */
    public static final CheckSetting<Long> TOP =
            CheckSetting.count("top", 5, "how many spilling statements to list, the most written in total first");

    /**
     * The fix's {@code work_mem} is this many times the temporary files written per call, rounded up to a round
     * size: a sort held in memory takes more than its run files on disk (measured on PostgreSQL 17, 200,000
     * rows of 121-byte text: 25 MB on disk, quicksort in 57 MB, so 48MB of work_mem still spilled and 64MB did
     * not). Under a tiny work_mem the merge takes several passes and writes the data several times over (the
     * same sort at 64kB wrote 110 MB a call), so the value is then generous; work_mem is a ceiling a sort uses
     * only as far as it needs, and the finding says to confirm with EXPLAIN.
     */
    static final int FIX_FACTOR = 3;

    @Override
    public String id() {
        return "temp-files";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.SLOW_QUERIES;
    }

    @Override
    public String description() {
        return "Statements whose sorts and hashes spill past work_mem into temporary files (pg_stat_statements),"
                + " with the SET LOCAL work_mem that keeps them in memory, and those near temp_file_limit.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(WARN_PER_CALL, FAIL_LIMIT_PERCENT, MIN_CALLS, TOP);
    }

    /**
     * Not at startup: a statement that spills is slow, not a reason to refuse a deployment.
     *
     * @return {@code false}
     */
    @Override
    public boolean startupCritical() {
        return false;
    }

    /**
     * {@link CheckScope#DATABASE}: pg_stat_statements is the same for every instance.
     *
     * @return {@link CheckScope#DATABASE}
     */
    @Override
    public CheckScope scope() {
        return CheckScope.DATABASE;
    }

    /**
     * {@link CheckCost#NORMAL}: one scan of pg_stat_statements (bounded by {@code pg_stat_statements.max}) and
     * one row of pg_stat_database, like {@code slow-queries}.
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
        ServerFacts facts = context.facts();
        long warnPerCall = context.setting(WARN_PER_CALL);
        // temp_file_limit is in kB, -1 for no limit
        long limitKb = facts.settingAsLong("temp_file_limit", -1);
        long failFrom = limitKb < 0 ? Long.MAX_VALUE
                : (long) Math.ceil(limitKb * 1024.0 * context.setting(FAIL_LIMIT_PERCENT) / 100);
        List<Row> rows = read(context, pss, context.setting(MIN_CALLS), Math.min(warnPerCall, failFrom),
                context.setting(TOP));
        String workMem = SettingValues.displaySize(facts.settingAsLong("work_mem", 4096) * 1024);

        CheckResult.Builder result = CheckResult.builder(this);
        int hidden = 0;
        for (Row row : rows) {
            boolean nearLimit = row.perCall >= failFrom;
            result.atLeast(nearLimit ? CheckStatus.FAIL : CheckStatus.WARN);
            hidden += row.hidden() ? 1 : 0;
            result.finding(row.finding(workMem, nearLimit ? limitKb * 1024 : -1));
        }
        String totals = databaseTotals(context);
        if (rows.isEmpty()) {
            return result.summary("No statement with " + context.setting(MIN_CALLS) + "+ calls writes "
                    + SettingValues.formatBytes(Math.min(warnPerCall, failFrom)) + " or more of temporary files per call"
                    + " (work_mem " + workMem + "). " + totals).build();
        }
        Row worst = rows.get(0);
        result.summary(rows.size() + " statement" + (rows.size() == 1 ? " spills" : "s spill")
                + " sorts or hashes past work_mem (" + workMem + ") into temporary files; the most, "
                + SettingValues.formatBytes(worst.perCall) + " a call over " + worst.calls + " calls: " + worst.text()
                + ". " + totals);
        if (hidden > 0 && !facts.canReadAllStats()) {
            result.finding(StatStatements.hiddenText(facts, hidden));
        }
        return result.remediation("Give each statement above the memory in its own transaction: BEGIN; SET LOCAL"
                + " work_mem = '<the finding's value>'; <the statement>; COMMIT. The value is three times what it writes a"
                + " call, rounded up: a sort takes more room in memory than on disk, and under a tiny work_mem a merge"
                + " writes its data several times, so confirm with EXPLAIN (ANALYZE, BUFFERS) that the node now reads"
                + " \"quicksort  Memory: N kB\" and keep work_mem a little above N. Do not raise work_mem globally: it is a budget"
                + " per sort or hash node of every query of every connection (hash nodes get hash_mem_multiplier times"
                + " it), so it multiplies by max_connections (" + facts.connectionSlots().maxConnections() + " here) and can run"
                + " the server out of memory. Or give the ORDER BY or GROUP BY an index that returns the rows in that"
                + " order, so nothing is sorted. EXPLAIN (ANALYZE, BUFFERS) the statement to see the node: \"Sort"
                + " Method: external merge  Disk: ...\" or a hash with Batches above 1.").build();
    }

    private static List<Row> read(CheckContext context, StatStatements pss, long minCalls, long listFrom, long top)
            throws SQLException {
        List<Row> rows = new ArrayList<>();
        try (PreparedStatement ps = context.connection().prepareStatement(
                pss.fill(Sql.load(TempFilesCheck.class, "temp-files")))) {
            ps.setLong(1, minCalls);
            ps.setLong(2, listFrom);
            ps.setLong(3, top);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Row(rs.getString("user_name"), rs.getString("query"), rs.getLong("calls"),
                            rs.getLong("written_per_call"), rs.getLong("temp_written_bytes"),
                            rs.getDouble("mean_ms"), rs.getString("role_work_mem")));
                }
            }
        }
        return rows;
    }

    private static String databaseTotals(CheckContext context) throws SQLException {
        try (Statement st = context.connection().createStatement();
             ResultSet rs = st.executeQuery(Sql.load(TempFilesCheck.class, "temp-files-database"))) {
            if (!rs.next()) {
                return "";
            }
            String reset = rs.getString("stats_reset");
            return "Database " + context.facts().database() + " wrote " + rs.getLong("temp_files")
                    + " temporary files (" + SettingValues.formatBytes(rs.getLong("temp_bytes")) + ") since "
                    + (reset == null ? "its statistics began" : "stats_reset at " + reset) + ".";
        }
    }

    /**
     * The {@code work_mem} that keeps a statement's spill in memory: {@link #FIX_FACTOR} times the spill per call,
     * rounded up to a power of two or one and a half times one (1MB, 1536kB, 2MB, 3MB, 4MB, 6MB, ... 96MB, 128MB),
     * at least 1MB, written the way SET accepts it.
     */
    static String fixWorkMem(long spillPerCall) {
        long need = Math.max(1L << 20, spillPerCall * FIX_FACTOR);
        long round = Long.highestOneBit(need);
        if (round < need) {
            round = round + round / 2 >= need ? round + round / 2 : round << 1;
        }
        return SettingValues.displaySize(round);
    }

    private record Row(String user, String query, long calls, long perCall, long total, double meanMs,
                       String roleWorkMem) {

        boolean hidden() {
            return StatStatements.HIDDEN.equals(query);
        }

        String text() {
            return hidden() ? StatStatements.HIDDEN + " (a statement of " + user + ")" : SlowQueriesCheck.shorten(query);
        }

        Finding finding(String workMem, long limitBytes) {
            String ranWith = roleWorkMem == null ? workMem : roleWorkMem + " (set for role " + user + ")";
            String fix = "SET LOCAL work_mem = '" + fixWorkMem(perCall) + "'";
            String message = "Writes " + SettingValues.formatBytes(perCall) + " of temporary files a call ("
                    + SettingValues.formatBytes(total) + " over " + calls + " calls, mean "
                    + SettingValues.format(Duration.ofNanos(Math.round(meanMs * 1_000_000))) + ") with work_mem "
                    + ranWith + ", as " + user + ": " + text() + ". Run it in a transaction with " + fix + ".";
            if (limitBytes >= 0) {
                message += " It is near temp_file_limit (" + SettingValues.formatBytes(limitBytes) + "): as its data"
                        + " grows it will fail with \"temporary file size exceeds temp_file_limit\".";
            }
            Finding.Builder finding = Finding.builder(message)
                    .detail("query", text())
                    .detail("user", user)
                    .detail("calls", calls)
                    .detail("tempWrittenPerCallBytes", perCall)
                    .detail("tempWrittenBytes", total)
                    .detail("meanMs", Math.round(meanMs * 100) / 100.0)
                    .detail("workMem", roleWorkMem == null ? workMem : roleWorkMem)
                    .detail("fix", fix);
            if (limitBytes >= 0) {
                finding.detail("tempFileLimitBytes", limitBytes);
            }
            return finding.build();
        }
    }
}
