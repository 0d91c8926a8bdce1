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
import java.util.List;
import java.util.Set;

/**
 * Runbook 6 ("what fills the disk") and 3 (bloated indexes slow scans): btree indexes larger than a
 * fresh build would be. Deletes and updates leave leaf pages half empty, and a btree never merges them
 * back; {@code REINDEX INDEX CONCURRENTLY} rebuilds one without blocking writes. Estimated from the
 * statistics PostgreSQL already keeps (row count, column widths and null fractions, page count,
 * fillfactor): no scan, no extension, no lock, and linear in the size of the schema. An index whose
 * table has missing, hidden or stale statistics is named as unknown rather than guessed. With
 * {@link #EXACT_TOP} above 0 and the pgstattuple extension installed, the largest findings are also measured
 * with {@code pgstatindex} (which reads the whole index: bounded, see the setting) and judged by that figure.
 */
public final class IndexBloatCheck implements DatabaseCheck {

    private static final Bloat.Settings SETTINGS = Bloat.Settings.create();

    /** WARN from this reclaimable share (with at least {@link #MIN_RECLAIMABLE_BYTES}). */
    public static final CheckSetting<Double> WARN_PERCENT = SETTINGS.warnPercent();
    /** FAIL from this reclaimable share (with at least {@link #FAIL_RECLAIMABLE_BYTES}). */
    public static final CheckSetting<Double> FAIL_PERCENT = SETTINGS.failPercent();
    /** Smaller reclaimable space is ignored; smaller indexes are not estimated. */
    public static final CheckSetting<Long> MIN_RECLAIMABLE_BYTES = SETTINGS.minReclaimableBytes();
    /** FAIL needs at least this much reclaimable space. */
    public static final CheckSetting<Long> FAIL_RECLAIMABLE_BYTES = SETTINGS.failReclaimableBytes();
    /** Share of the table's rows changed since its last ANALYZE from which the estimate is not trusted. */
    public static final CheckSetting<Double> STALE_CHANGED_PERCENT = SETTINGS.staleChangedPercent();
    /** How many indexes are listed. */
    public static final CheckSetting<Long> TOP = SETTINGS.top();
    /**
     * Opt-in exact mode: how many of the largest findings to measure with {@code pgstatindex} when the
     * pgstattuple extension is installed and the role may execute it ({@code pg_stat_scan_tables}); 0 (the
     * default) is off. Unlike the estimate this reads the relation (every page of the index) under an ACCESS SHARE
     * lock, bounded by {@link #EXACT_MAX_BYTES}, half of the check's budget and its statement_timeout.
     */
    public static final CheckSetting<Long> EXACT_TOP = SETTINGS.exactTop();
    /** The exact mode reads at most this much relation size in one run; larger findings keep the estimate. */
    public static final CheckSetting<Long> EXACT_MAX_BYTES = SETTINGS.exactMaxBytes();

    @Override
    public String id() {
        return "index-bloat";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.DISK_FULL;
    }

    @Override
    public String description() {
        return "Reclaimable space in btree indexes, estimated from statistics (no scan, no extension, no lock).";
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
        List<Bloat.Estimate> rows = Bloat.read(context, Sql.load(IndexBloatCheck.class, id()), limits,
                List.of("fillfactor", "index_tuples"));
        return Bloat.result(this, context, rows, limits, "Index", Exact.INDEX, IndexBloatCheck::finding,
                listed -> String.join("\n", listed.stream().map(IndexBloatCheck::fix).toList()));
    }

    private static Finding finding(Bloat.Estimate e) {
        String message = "Index " + e.relation() + " on " + e.table() + ": about " + SettingValues.formatBytes(e.reclaimable())
                + " of its " + SettingValues.formatBytes(e.sizeBytes()) + " (" + e.bloatPercent() + "%) would be given"
                + " back by a rebuild (estimated from statistics analyzed " + e.age() + " ago, fillfactor "
                + e.row().get("fillfactor") + ")." + e.exactSentence() + " Rebuild it without blocking writes: " + fix(e);
        return e.details(Finding.builder(message))
                .detail("table", e.table())
                .detail("fillfactor", e.row().get("fillfactor"))
                .detail("fix", fix(e))
                .build();
    }

    private static String fix(Bloat.Estimate e) {
        return "REINDEX INDEX CONCURRENTLY " + e.relation() + ";";
    }

    /** Every btree's statistics: a catalog scan that grows with the schema, the same answer from every instance. */
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
