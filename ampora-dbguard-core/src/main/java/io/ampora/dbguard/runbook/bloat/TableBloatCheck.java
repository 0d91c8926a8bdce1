package io.ampora.dbguard.runbook.bloat;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.SettingOrder;
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.internal.SettingValues;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Runbook 3 ("table bloat") and 6 ("what fills the disk"): space inside tables that a compact copy would
 * give back. After a mass DELETE and a VACUUM the dead tuples are gone, so {@code vacuum-health} passes,
 * but the table keeps its pages: that free space is bloat. Estimated from the statistics PostgreSQL
 * already keeps (row count, average column widths, null fractions, page count, fillfactor), so it reads
 * no table, needs no extension and takes no lock; a table whose statistics are missing, hidden from the
 * role or stale is named as unknown rather than guessed. The fix: {@code pg_repack} (online) or
 * {@code VACUUM FULL} (which holds an ACCESS EXCLUSIVE lock for the whole copy), and autovacuum settings
 * when dead tuples keep coming back. With {@link #EXACT_TOP} above 0 and the pgstattuple extension installed,
 * the largest findings are also measured with {@code pgstattuple_approx} (which reads the table's pages that
 * are not all-visible: bounded, see the setting) and judged by that figure; without the extension or the
 * privilege they keep the estimate with the reason.
 */
public final class TableBloatCheck implements DatabaseCheck {

    private static final Bloat.Settings SETTINGS = Bloat.Settings.create();

    /** WARN from this reclaimable share (with at least {@link #MIN_RECLAIMABLE_BYTES}). */
    public static final CheckSetting<Double> WARN_PERCENT = SETTINGS.warnPercent();
    /** FAIL from this reclaimable share (with at least {@link #FAIL_RECLAIMABLE_BYTES}). */
    public static final CheckSetting<Double> FAIL_PERCENT = SETTINGS.failPercent();
    /** Smaller reclaimable space is ignored; smaller tables are not estimated. */
    public static final CheckSetting<Long> MIN_RECLAIMABLE_BYTES = SETTINGS.minReclaimableBytes();
    /** FAIL needs at least this much reclaimable space. */
    public static final CheckSetting<Long> FAIL_RECLAIMABLE_BYTES = SETTINGS.failReclaimableBytes();
    /** Share of rows changed since the last ANALYZE from which the statistics are too stale to estimate. */
    public static final CheckSetting<Double> STALE_CHANGED_PERCENT = SETTINGS.staleChangedPercent();
    /** How many tables are listed. */
    public static final CheckSetting<Long> TOP = SETTINGS.top();
    /**
     * Opt-in exact mode: how many of the largest findings to measure with {@code pgstattuple_approx} when the
     * pgstattuple extension is installed and the role may execute it ({@code pg_stat_scan_tables}); 0 (the
     * default) is off. Unlike the estimate this reads the relation (every page that is not all-visible) under an ACCESS SHARE
     * lock, bounded by {@link #EXACT_MAX_BYTES}, half of the check's budget and its statement_timeout.
     */
    public static final CheckSetting<Long> EXACT_TOP = SETTINGS.exactTop();
    /** The exact mode reads at most this much relation size in one run; larger findings keep the estimate. */
    public static final CheckSetting<Long> EXACT_MAX_BYTES = SETTINGS.exactMaxBytes();

    @Override
    public String id() {
        return "table-bloat";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.SLOW_QUERIES;
    }

    @Override
    public String description() {
        return "Reclaimable space in tables, estimated from statistics (no scan, no extension, no lock).";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return SETTINGS.all();
    }

    @Override
    public List<SettingOrder<?>> settingOrders() {
        return SETTINGS.orders();
    }

    @Override
    public boolean startupCritical() {
        return false;
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        Bloat.Limits limits = SETTINGS.limits(context);
        List<Bloat.Estimate> rows = Bloat.read(context, Sql.load(TableBloatCheck.class, id()), limits,
                List.of("fillfactor", "n_dead_tup", "autovacuum_on"));
        return Bloat.result(this, context, rows, limits, "Table", Exact.TABLE, TableBloatCheck::finding,
                TableBloatCheck::remediation);
    }

    private static Finding finding(Bloat.Estimate e) {
        String message = "Table " + e.relation() + ": about " + SettingValues.formatBytes(e.reclaimable()) + " of its "
                + SettingValues.formatBytes(e.sizeBytes()) + " (" + e.bloatPercent() + "%) is free space a compact copy"
                + " would give back (estimated from statistics analyzed " + e.age() + " ago, fillfactor "
                + e.row().get("fillfactor") + ")." + e.exactSentence() + " " + fix(e);
        return e.details(Finding.builder(message))
                .detail("deadTuples", e.row().get("n_dead_tup"))
                .detail("fillfactor", e.row().get("fillfactor"))
                .detail("fix", "VACUUM FULL " + e.relation() + ";")
                .build();
    }

    private static String fix(Bloat.Estimate e) {
        String fix = "Online: pg_repack --table=" + e.relation() + " (the pg_repack extension). Offline: VACUUM FULL "
                + e.relation() + "; which holds an ACCESS EXCLUSIVE lock for the whole copy (no reads, no writes) and"
                + " needs free disk for a second copy.";
        if (churning(e)) {
            fix += " Dead tuples keep coming back" + (Boolean.TRUE.equals(e.row().get("autovacuum_on"))
                    ? ": let autovacuum run sooner on it, ALTER TABLE " + e.relation()
                            + " SET (autovacuum_vacuum_scale_factor = 0.02);"
                    : " and autovacuum is disabled for it: ALTER TABLE " + e.relation() + " RESET (autovacuum_enabled);");
        }
        return fix;
    }

    /** Dead tuples are piling up again (or autovacuum is off): rewriting alone would not last. */
    private static boolean churning(Bloat.Estimate e) {
        long dead = ((Number) e.row().get("n_dead_tup")).longValue();
        return !Boolean.TRUE.equals(e.row().get("autovacuum_on")) || dead > 0.1 * Math.max(e.reltuples(), 1);
    }

    private static String remediation(List<Bloat.Estimate> listed) {
        List<String> lines = new ArrayList<>();
        for (Bloat.Estimate e : listed) {
            lines.add(e.relation() + ": " + fix(e));
        }
        return String.join("\n", lines);
    }

    /** Every table's statistics: a catalog scan that grows with the schema, the same answer from every instance. */
    @Override
    public CheckScope scope() {
        return CheckScope.DATABASE;
    }

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
}
