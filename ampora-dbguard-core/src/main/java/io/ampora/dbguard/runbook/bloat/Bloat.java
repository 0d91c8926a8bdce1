package io.ampora.dbguard.runbook.bloat;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.SettingOrder;
import io.ampora.dbguard.internal.SettingValues;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * What the two bloat checks share: the settings, reading their estimate rows, deciding which relations
 * are bloated or could not be estimated, and the result.
 */
final class Bloat {

    private Bloat() {
    }

    /**
     * The settings both bloat checks declare, each check with its own instances (its public constants
     * point at them): what {@code settings()}, {@code settingOrders()} and a run's {@link Limits} are made of.
     */
    record Settings(CheckSetting<Double> warnPercent, CheckSetting<Double> failPercent,
                    CheckSetting<Long> minReclaimableBytes, CheckSetting<Long> failReclaimableBytes,
                    CheckSetting<Double> staleChangedPercent, CheckSetting<Long> top,
                    CheckSetting<Long> exactTop, CheckSetting<Long> exactMaxBytes) {

        static Settings create() {
            return new Settings(
                    CheckSetting.percent("warnPercent", 40, "WARN when at least this share of a relation is"
                            + " reclaimable (and at least minReclaimableBytes)"),
                    CheckSetting.percent("failPercent", 80, "FAIL when at least this share is reclaimable"
                            + " (and at least failReclaimableBytes)"),
                    CheckSetting.size("minReclaimableBytes", 4L << 20, "relations with less reclaimable space than"
                            + " this are not reported, and relations smaller than this are not estimated"),
                    CheckSetting.size("failReclaimableBytes", 1L << 30, "FAIL needs at least this much reclaimable"
                            + " space"),
                    CheckSetting.percent("staleChangedPercent", 20, "statistics are stale, and the relation is"
                            + " reported as unknown, when more than this share of its rows changed since the last"
                            + " ANALYZE"),
                    CheckSetting.count("top", 20, "how many relations to list as findings"),
                    CheckSetting.count("exactTop", 0, "opt-in exact mode: how many of the largest findings to"
                            + " measure with the pgstattuple extension when it is installed (reads the relation);"
                            + " 0 = off"),
                    CheckSetting.size("exactMaxBytes", 1L << 30, "the exact mode reads at most this much relation"
                            + " size in one run; larger findings keep the estimate"));
        }

        List<CheckSetting<?>> all() {
            return List.of(warnPercent, failPercent, minReclaimableBytes, failReclaimableBytes, staleChangedPercent, top,
                    exactTop, exactMaxBytes);
        }

        List<SettingOrder<?>> orders() {
            return List.of(SettingOrder.higherIsWorse(warnPercent, failPercent),
                    SettingOrder.higherIsWorse(minReclaimableBytes, failReclaimableBytes));
        }

        Limits limits(CheckContext context) {
            return new Limits(context.setting(warnPercent), context.setting(failPercent),
                    context.setting(minReclaimableBytes), context.setting(failReclaimableBytes),
                    context.setting(staleChangedPercent), context.setting(top), context.setting(exactTop),
                    context.setting(exactMaxBytes), System.nanoTime());
        }
    }

    /** The thresholds of one run, and when it started (the exact mode stops measuring at half the budget). */
    record Limits(double warnPercent, double failPercent, long minBytes, long failBytes, double stalePercent, long top,
                  long exactTop, long exactMaxBytes, long startedNanos) {
    }

    /**
     * One relation's estimate, as read from a check's SQL.
     *
     * @param relation      schema-qualified, quoted name
     * @param table         the table (the relation itself for a table)
     * @param sizeBytes     relpages * block_size
     * @param bloatPercent  the estimated reclaimable share, null when not estimated
     * @param reclaimable   the estimated reclaimable bytes, 0 when not estimated
     * @param statistics    null when fresh, else why not estimated: "missing", "not visible" or "stale"
     * @param changed       rows changed since the last analyze
     * @param reltuples     rows as of the last VACUUM/ANALYZE
     * @param lastAnalyze   time of the last analyze, null when never
     * @param ageSeconds    seconds since the last analyze, null when never
     * @param row           the other columns a check needs for its message
     * @param relid         the relation's oid
     * @param exact         the exact figure, null when not measured
     * @param exactReason   why the exact mode did not measure it, null when it did or was off
     */
    record Estimate(String relation, String table, long sizeBytes, Double bloatPercent, long reclaimable,
                    String statistics, long changed, long reltuples, String lastAnalyze, Double ageSeconds,
                    java.util.Map<String, Object> row, long relid, Exact.Measured exact, String exactReason) {

        boolean estimated() {
            return statistics == null;
        }

        Estimate withExact(Exact.Measured measured) {
            return new Estimate(relation, table, sizeBytes, bloatPercent, reclaimable, statistics, changed, reltuples,
                    lastAnalyze, ageSeconds, row, relid, measured, null);
        }

        Estimate withExactReason(String reason) {
            return new Estimate(relation, table, sizeBytes, bloatPercent, reclaimable, statistics, changed, reltuples,
                    lastAnalyze, ageSeconds, row, relid, null, reason);
        }

        /** The figure the status is decided by: the exact one when measured. */
        double decidingPercent() {
            return exact != null ? exact.bloatPercent() : bloatPercent;
        }

        /** The reclaimable bytes the status is decided by: the exact ones when measured. */
        long decidingReclaimable() {
            return exact != null ? exact.reclaimable() : reclaimable;
        }

        /** A sentence for the message: the exact figure, or why there is none; empty when the mode is off. */
        String exactSentence() {
            if (exact != null) {
                return " Measured exactly with " + exact.function() + ": " + SettingValues.formatBytes(exact.reclaimable())
                        + " (" + exact.bloatPercent() + "%) reclaimable.";
            }
            return exactReason == null ? "" : " Exact figure: " + exactReason + ".";
        }

        Finding.Builder details(Finding.Builder f) {
            f.detail("relation", relation)
                    .detail("bloatPercent", bloatPercent)
                    .detail("reclaimableBytes", estimated() ? reclaimable : null)
                    .detail("reclaimable", estimated() ? SettingValues.formatBytes(reclaimable) : null)
                    .detail("sizeBytes", sizeBytes)
                    .detail("size", SettingValues.formatBytes(sizeBytes))
                    .detail("statistics", statistics == null ? "fresh" : statistics)
                    .detail("lastAnalyze", lastAnalyze)
                    .detail("statisticsAge", age())
                    .detail("changedSinceAnalyze", changed);
            if (estimated()) {
                f.detail("method", exact != null ? "exact" : "estimate");
            }
            if (exact != null) {
                f.detail("exactBloatPercent", exact.bloatPercent())
                        .detail("exactReclaimableBytes", exact.reclaimable())
                        .detail("exactReclaimable", SettingValues.formatBytes(exact.reclaimable()))
                        .detail("exactFunction", exact.function());
            }
            return exactReason == null ? f : f.detail("exactNotMeasured", exactReason);
        }

        String age() {
            return ageSeconds == null ? "never analyzed" : SettingValues.format(Duration.ofMillis((long) (ageSeconds * 1000)));
        }
    }

    /**
     * Runs a check's estimate query (its one parameter is the minimum size) and classifies each row.
     */
    static List<Estimate> read(CheckContext context, String sql, Limits limits, List<String> extraColumns)
            throws SQLException {
        List<Estimate> rows = new ArrayList<>();
        try (PreparedStatement ps = context.connection().prepareStatement(sql)) {
            ps.setLong(1, limits.minBytes());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(estimate(rs, limits, extraColumns));
                }
            }
        }
        return rows;
    }

    private static Estimate estimate(ResultSet rs, Limits limits, List<String> extraColumns) throws SQLException {
        String lastAnalyze = rs.getString("last_analyze");
        long reltuples = rs.getLong("reltuples");
        long changed = rs.getLong("n_mod_since_analyze");
        boolean noStatistics = rs.getBoolean("no_statistics") || rs.getObject("expected_pages") == null;
        String statistics = null;
        if (noStatistics) {
            statistics = lastAnalyze == null || reltuples < 0 ? "missing" : "not visible";
        } else if (changed > limits.stalePercent() / 100.0 * Math.max(reltuples, 1)) {
            statistics = "stale";
        }
        java.util.Map<String, Object> row = new java.util.LinkedHashMap<>();
        for (String column : extraColumns) {
            row.put(column, rs.getObject(column));
        }
        Object age = rs.getObject("statistics_age_seconds");
        return new Estimate(rs.getString("relation"), rs.getString("table_name"), rs.getLong("size_bytes"),
                statistics == null ? rs.getDouble("bloat_percent") : null,
                statistics == null ? rs.getLong("reclaimable_bytes") : 0, statistics, changed, reltuples, lastAnalyze,
                age == null ? null : ((Number) age).doubleValue(), row, rs.getLong("relid"), null, null);
    }

    /** The status a relation's estimate deserves. */
    static CheckStatus status(Estimate e, Limits limits) {
        if (!e.estimated()) {
            return CheckStatus.UNKNOWN;
        }
        if (e.decidingPercent() >= limits.failPercent() && e.decidingReclaimable() >= limits.failBytes()) {
            return CheckStatus.FAIL;
        }
        if (e.decidingPercent() >= limits.warnPercent() && e.decidingReclaimable() >= limits.minBytes()) {
            return CheckStatus.WARN;
        }
        return CheckStatus.PASS;
    }

    /** Why a relation was not estimated, and what to do about it. */
    static String unknownReason(Estimate e, String kind) {
        return switch (e.statistics()) {
            case "missing" -> kind + " " + e.relation() + " (" + SettingValues.formatBytes(e.sizeBytes()) + ") has no"
                    + " statistics: it was never analyzed. Run ANALYZE " + e.table() + "; and check again.";
            case "not visible" -> kind + " " + e.relation() + " (" + SettingValues.formatBytes(e.sizeBytes()) + "): its"
                    + " statistics are not visible to this role (pg_stats shows only columns it may SELECT)."
                    + " GRANT SELECT ON " + e.table() + " TO <this role>; or run the check as the table's owner.";
            default -> kind + " " + e.relation() + " (" + SettingValues.formatBytes(e.sizeBytes()) + "): its statistics"
                    + " are stale (" + e.changed() + " rows changed since the last analyze, " + e.reltuples()
                    + " rows then, analyzed " + e.age() + " ago). Run ANALYZE " + e.table() + "; and check again.";
        };
    }

    /**
     * Builds the result: bloated relations first (by reclaimable bytes), then those not estimated.
     *
     * <p>In the exact mode ({@code exactTop} above 0) the largest {@code exactTop} bloated relations by the
     * estimate are measured with {@code method}; a measured relation's status follows its exact figure, so
     * one the estimate overrated is cleared (named in the summary) rather than listed.
     *
     * @param kind     "Table" or "Index"
     * @param method   how the exact mode measures a relation
     * @param finding  the finding of one bloated relation
     * @param fixes    the remediation of the listed bloated relations
     */
    static CheckResult result(DatabaseCheck check, CheckContext context, List<Estimate> rows, Limits limits,
                              String kind, Exact.Method method, Function<Estimate, Finding> finding,
                              Function<List<Estimate>, String> fixes) throws SQLException {
        List<Estimate> bloated = new ArrayList<>();
        List<Estimate> unknown = new ArrayList<>();
        for (Estimate e : rows) {
            CheckStatus s = status(e, limits);
            if (s == CheckStatus.UNKNOWN) {
                unknown.add(e);
            } else if (s != CheckStatus.PASS) {
                bloated.add(e);
            }
        }
        List<Estimate> cleared = new ArrayList<>();
        if (limits.exactTop() > 0 && !bloated.isEmpty()) {
            int n = (int) Math.min(limits.exactTop(), bloated.size());
            List<Estimate> measured = Exact.measure(context, method, bloated.subList(0, n), limits);
            List<Estimate> rest = new ArrayList<>(bloated.subList(n, bloated.size()));
            bloated = new ArrayList<>();
            for (Estimate e : measured) {
                (status(e, limits) == CheckStatus.PASS ? cleared : bloated).add(e);
            }
            bloated.addAll(rest);
            bloated.sort(java.util.Comparator.comparingLong(Estimate::decidingReclaimable).reversed());
        }
        CheckStatus worst = CheckStatus.PASS;
        for (Estimate e : bloated) {
            worst = status(e, limits) == CheckStatus.FAIL ? CheckStatus.FAIL : worst == CheckStatus.FAIL ? worst
                    : CheckStatus.WARN;
        }
        String noun = kind.toLowerCase(java.util.Locale.ROOT);
        String plural = noun.equals("index") ? "indexes" : noun + "s";
        CheckResult.Builder result = CheckResult.builder(check);
        List<Estimate> listed = bloated.subList(0, (int) Math.min(bloated.size(), limits.top()));
        listed.forEach(e -> result.finding(finding.apply(e)));
        unknown.stream().limit(Math.max(0, limits.top() - listed.size()))
                .forEach(e -> result.finding(e.details(Finding.builder(unknownReason(e, kind))).build()));
        long total = bloated.stream().mapToLong(Estimate::decidingReclaimable).sum();
        String clearedText = cleared.isEmpty() ? "" : " " + cleared.size() + " " + (cleared.size() == 1 ? noun : plural)
                + " the estimate flagged measured below the thresholds exactly ("
                + String.join(", ", cleared.stream().map(e -> e.relation() + " " + e.exact().bloatPercent() + "%")
                        .toList()) + ").";
        String unknownText = unknown.isEmpty() ? "" : " " + unknown.size() + " " + (unknown.size() == 1 ? noun : plural)
                + " of " + SettingValues.formatBytes(limits.minBytes()) + " or more could not be estimated ("
                + String.join(", ", unknown.stream().limit(5).map(e -> e.relation() + ": " + e.statistics()).toList())
                + (unknown.size() > 5 ? ", ..." : "") + ").";
        if (bloated.isEmpty()) {
            if (unknown.isEmpty()) {
                return result.status(CheckStatus.PASS).summary("No " + noun + " has " + (int) limits.warnPercent()
                        + "% or more and " + SettingValues.formatBytes(limits.minBytes()) + " or more reclaimable ("
                        + rows.size() + " of " + SettingValues.formatBytes(limits.minBytes()) + " or more estimated)."
                        + clearedText).build();
            }
            return result.status(CheckStatus.UNKNOWN).summary("No bloat found among the " + (rows.size() - unknown.size())
                            + " " + plural + " estimated, but" + unknownText + clearedText)
                    .remediation("Run ANALYZE on them (autovacuum's analyze is behind or off), or grant SELECT on"
                            + " them to this role when their statistics are not visible.")
                    .build();
        }
        return result.status(worst)
                .summary(bloated.size() + " " + (bloated.size() == 1 ? noun + " has" : plural + " have") + " about "
                        + SettingValues.formatBytes(total) + " reclaimable"
                        + (bloated.size() > listed.size() ? " (the " + listed.size() + " largest listed)" : "") + "."
                        + unknownText + clearedText)
                .remediation(fixes.apply(listed))
                .build();
    }
}
