package io.ampora.dbguard.runbook.maintenance;

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
import io.ampora.dbguard.check.Sql;
import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Beyond the runbook: sequences about to run out, after which every insert fails. The limit is the
 * smaller of the sequence's own bound and the type of the column it feeds: an {@code integer} column fed
 * by a {@code bigint} sequence overflows at 2^31-1 whatever the sequence allows. WARN from
 * {@code warnPercent} (75% used), FAIL from {@code failPercent} (90%), with the ALTER statements that
 * widen the column and the sequence.
 *
 * <p>A sequence the role may not read ({@code SELECT} or {@code USAGE}) hides how far it has gone: the
 * check lists them with the grant and reports UNKNOWN rather than passing. A sequence never used has no
 * value yet and is fine.
 */
public final class SequenceExhaustionCheck implements DatabaseCheck {

    /** Used share of the range from which the check warns. */
    public static final CheckSetting<Double> WARN_PERCENT = CheckSetting.percent("warnPercent", 75,
            "percentage of a sequence's usable range (bounded by its column's type) used, from which to warn");
    /** Used share of the range from which the check fails. */
    public static final CheckSetting<Double> FAIL_PERCENT = CheckSetting.percent("failPercent", 90,
            "percentage of a sequence's usable range (bounded by its column's type) used, from which to fail");

    private static final Map<String, long[]> TYPE_RANGE = Map.of(
            "smallint", new long[] {Short.MIN_VALUE, Short.MAX_VALUE},
            "integer", new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE},
            "bigint", new long[] {Long.MIN_VALUE, Long.MAX_VALUE});
    private static final int MAX_LISTED = 10;

    @Override
    public String id() {
        return "sequence-exhaustion";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.BEYOND_RUNBOOK;
    }

    @Override
    public String description() {
        return "Sequences near the end of their range, bounded by the type of the column they feed.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(WARN_PERCENT, FAIL_PERCENT);
    }

    @Override
    public List<SettingOrder<?>> settingOrders() {
        return List.of(SettingOrder.higherIsWorse(WARN_PERCENT, FAIL_PERCENT));
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
        double warn = context.setting(WARN_PERCENT);
        double fail = context.setting(FAIL_PERCENT);
        List<Seq> sequences = new ArrayList<>();
        List<String> unreadable = new ArrayList<>();
        String role = "";
        // prepared: on a kept or pooled connection pgjdbc prepares it on the server after a few runs, and then
        // PostgreSQL plans it once (its planning, not its execution, is most of its time on a large catalog)
        try (PreparedStatement st = context.connection().prepareStatement(Sql.load(SequenceExhaustionCheck.class, id()));
             ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                role = rs.getString("role_ident");
                if (!rs.getBoolean("readable")) {
                    unreadable.add(rs.getString("sequence_name"));
                    continue;
                }
                Object last = rs.getObject("last_value");
                if (last == null) {
                    continue;
                }
                sequences.add(new Seq(rs.getString("sequence_name"), rs.getString("sequence_type"), rs.getLong("min_value"),
                        rs.getLong("max_value"), rs.getLong("increment_by"), rs.getBoolean("cycles"), ((Number) last).longValue(),
                        rs.getString("table_name"), rs.getString("column_name"), rs.getString("column_type"),
                        rs.getObject("identity") != null && rs.getBoolean("identity")));
            }
        }
        sequences.sort(Comparator.comparingDouble(Seq::percentUsed).reversed());
        CheckResult.Builder result = CheckResult.builder(this);
        List<String> fixes = new ArrayList<>();
        for (Seq s : sequences) {
            double used = s.percentUsed();
            if (used < warn) {
                break;
            }
            result.atLeast(used >= fail ? CheckStatus.FAIL : CheckStatus.WARN);
            if (fixes.size() < MAX_LISTED) {
                result.finding(s.finding());
                fixes.add(s.fix());
            }
        }
        if (!unreadable.isEmpty()) {
            String listed = unreadable.stream().limit(MAX_LISTED).collect(Collectors.joining(", "))
                    + (unreadable.size() > MAX_LISTED ? " and " + (unreadable.size() - MAX_LISTED) + " more" : "");
            String grant = "GRANT SELECT ON SEQUENCE " + unreadable.stream().limit(MAX_LISTED).collect(Collectors.joining(", "))
                    + " TO " + role;
            result.atLeast(CheckStatus.UNKNOWN).finding(Finding.builder(unreadable.size()
                            + (unreadable.size() == 1 ? " sequence is hidden from this role, so how far it has"
                            : " sequences are hidden from this role, so how far they have") + " gone is unknown: " + listed + ". " + grant + " (or GRANT SELECT ON ALL SEQUENCES IN SCHEMA ...)"
                            + " to check them.")
                    .detail("unreadableSequences", unreadable.size())
                    .detail("sequences", listed)
                    .detail("grant", grant)
                    .build());
            fixes.add(grant + " so the check can read them.");
        }
        String top = sequences.isEmpty() ? "" : String.format(Locale.ROOT, "; the fullest, %s, has used %.1f%%",
                sequences.get(0).name(), sequences.get(0).percentUsed());
        long near = sequences.stream().filter(s -> s.percentUsed() >= warn).count();
        result.summary(near == 0
                ? "No sequence has used " + fmt(warn) + "% of its range" + top + "."
                : near + (near == 1 ? " sequence has" : " sequences have") + " used over " + fmt(warn) + "% of its range" + top + ".");
        return result.remediation(String.join("\n", fixes)).build();
    }

    private static String fmt(double percent) {
        return percent == Math.rint(percent) ? String.valueOf((long) percent) : String.valueOf(percent);
    }

    /** A sequence that has been used, and the column it feeds if any. */
    private record Seq(String name, String type, long min, long max, long increment, boolean cycles, long last,
                       String table, String column, String columnType, boolean identity) {

        boolean ascending() {
            return increment > 0;
        }

        /** The value the next nextval() may not pass: the sequence's bound or its column type's, the tighter. */
        long limit() {
            long[] range = column == null ? null : TYPE_RANGE.get(columnType);
            if (ascending()) {
                return range == null ? max : Math.min(max, range[1]);
            }
            return range == null ? min : Math.max(min, range[0]);
        }

        boolean columnBinds() {
            long[] range = column == null ? null : TYPE_RANGE.get(columnType);
            return range != null && (ascending() ? range[1] <= max : range[0] >= min);
        }

        double percentUsed() {
            BigDecimal start = BigDecimal.valueOf(ascending() ? min : max);
            BigDecimal span = BigDecimal.valueOf(limit()).subtract(start).abs();
            if (span.signum() == 0) {
                return 100;
            }
            return BigDecimal.valueOf(last).subtract(start).abs().multiply(BigDecimal.valueOf(100))
                    .divide(span, 4, java.math.RoundingMode.HALF_UP).doubleValue();
        }

        long remaining() {
            return Math.abs(BigDecimal.valueOf(limit()).subtract(BigDecimal.valueOf(last))
                    .divide(BigDecimal.valueOf(Math.abs(increment)), 0, java.math.RoundingMode.DOWN).longValue());
        }

        Finding finding() {
            String bound = columnBinds()
                    ? "the " + columnType + " column " + table + "." + column + " it feeds overflows at " + limit()
                    : "its " + (ascending() ? "MAXVALUE" : "MINVALUE") + " is " + limit();
            String message = String.format(Locale.ROOT, "Sequence %s is at %d, %.1f%% of its range: %s, %d values are left.%s",
                    name, last, percentUsed(), bound, remaining(),
                    cycles ? " It cycles: past the limit it starts over and new keys collide with old ones." : "");
            return Finding.builder(message + " Fix: " + fix())
                    .detail("sequence", name)
                    .detail("lastValue", last)
                    .detail("limit", limit())
                    .detail("percentUsed", Math.round(percentUsed() * 10) / 10.0)
                    .detail("valuesLeft", remaining())
                    .detail("sequenceType", type)
                    .detail("column", column == null ? null : table + "." + column)
                    .detail("columnType", columnType)
                    .detail("boundByColumn", columnBinds())
                    .build();
        }

        /** The statements that widen what limits the sequence. */
        String fix() {
            List<String> statements = new ArrayList<>();
            boolean narrowColumn = column != null && ("integer".equals(columnType) || "smallint".equals(columnType));
            if (narrowColumn) {
                statements.add("ALTER TABLE " + table + " ALTER COLUMN " + column + " TYPE bigint;");
            }
            boolean narrowSequence = "integer".equals(type) || "smallint".equals(type);
            if (narrowSequence && !(identity && narrowColumn)) {
                // an identity column's sequence follows its column's type; a serial's does not
                statements.add("ALTER SEQUENCE " + name + " AS bigint;");
            } else if (!narrowSequence && !columnBinds()) {
                statements.add("ALTER SEQUENCE " + name + (ascending() ? " NO MAXVALUE;" : " NO MINVALUE;"));
            }
            if (statements.isEmpty()) {
                return "The sequence has reached the end of bigint's range: move the key to a new scheme (uuid), or"
                        + " ALTER SEQUENCE " + name + " RESTART only if the old values are gone.";
            }
            String fix = String.join(" ", statements);
            if (narrowColumn) {
                fix += " Changing the column's type rewrites " + table + " under an ACCESS EXCLUSIVE lock: plan a"
                        + " maintenance window, or migrate through a new bigint column for a big table.";
            }
            return fix;
        }
    }
}
