package io.ampora.dbguard.runbook.maintenance;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.internal.SettingValues;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Beyond the runbook: invalid indexes ({@code pg_index.indisvalid = false}), what a failed
 * {@code CREATE INDEX CONCURRENTLY} or {@code REINDEX CONCURRENTLY} leaves behind. The planner ignores
 * them, so the queries they were built for stay slow, while every write may still pay for them. WARN
 * with the {@code DROP INDEX CONCURRENTLY} and {@code REINDEX INDEX CONCURRENTLY} statements; FAIL for a
 * unique index, whose uniqueness the data no longer promises (the build failed, often on a duplicate)
 * and which {@code ON CONFLICT} cannot use. A partitioned index that is invalid because a partition's
 * index is missing gets the statements to attach one. Indexes being built right now are only mentioned.
 */
public final class InvalidIndexesCheck implements DatabaseCheck {

    @Override
    public String id() {
        return "invalid-indexes";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.BEYOND_RUNBOOK;
    }

    @Override
    public String description() {
        return "Invalid indexes left by a failed CREATE INDEX CONCURRENTLY, with the statement to drop or rebuild them.";
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
        CheckResult.Builder result = CheckResult.builder(this);
        List<String> fixes = new ArrayList<>();
        List<String> building = new ArrayList<>();
        // prepared, like sequence-exhaustion: planned once per kept or pooled connection
        try (PreparedStatement st = context.connection().prepareStatement(Sql.load(InvalidIndexesCheck.class, "invalid-indexes-any"));
             ResultSet any = st.executeQuery()) {
            if (!any.next() || !any.getBoolean(1)) {
                return result.summary("No invalid index.").remediation("").build();
            }
        }
        try (Statement st = context.connection().createStatement();
             ResultSet rs = st.executeQuery(Sql.load(InvalidIndexesCheck.class, id()))) {
            while (rs.next()) {
                Index index = new Index(rs.getString("index_name"), rs.getString("table_name"), rs.getString("definition"),
                        rs.getBoolean("is_unique"), rs.getBoolean("is_ready"), rs.getBoolean("partitioned"),
                        rs.getLong("size_bytes"));
                Object pid = rs.getObject("building_pid");
                if (pid != null) {
                    building.add(index.name() + " (pid " + pid + ")");
                    continue;
                }
                result.atLeast(index.unique() ? CheckStatus.FAIL : CheckStatus.WARN).finding(index.finding());
                fixes.add(index.fix());
            }
        }
        int invalid = fixes.size();
        String summary = invalid == 0 ? "No invalid index."
                : invalid + (invalid == 1 ? " index is" : " indexes are") + " invalid: queries ignore "
                        + (invalid == 1 ? "it" : "them") + ".";
        if (!building.isEmpty()) {
            summary += " Being built right now, so not yet valid: " + String.join(", ", building) + ".";
        }
        return result.summary(summary).remediation(String.join("\n", fixes)).build();
    }

    /** One invalid index. */
    private record Index(String name, String table, String definition, boolean unique, boolean ready,
                         boolean partitioned, long sizeBytes) {

        Finding finding() {
            String message;
            if (partitioned) {
                message = "Partitioned index " + name + " on " + table + " is invalid: some partition has no index attached"
                        + " to it, so it cannot back a constraint and new partitions do not get it. " + fix();
            } else {
                message = (unique ? "Unique index " : "Index ") + name + " on " + table + " is invalid, left by a failed"
                        + " CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY: queries ignore it"
                        + (ready ? " while every write still maintains it" : "")
                        + (unique ? ", and its uniqueness is not guaranteed (ON CONFLICT cannot use it)" : "") + ". "
                        + fix();
            }
            return Finding.builder(message)
                    .detail("index", name)
                    .detail("table", table)
                    .detail("definition", definition != null ? definition : "not read: the table is locked ACCESS EXCLUSIVE")
                    .detail("unique", unique)
                    .detail("maintainedOnWrites", ready)
                    .detail("partitioned", partitioned)
                    .detail("size", SettingValues.formatBytes(sizeBytes))
                    .detail("drop", partitioned ? "DROP INDEX " + name + ";" : "DROP INDEX CONCURRENTLY " + name + ";")
                    .detail("rebuild", partitioned ? null : "REINDEX INDEX CONCURRENTLY " + name + ";")
                    .build();
        }

        String fix() {
            if (partitioned) {
                return "Create the missing index on each partition and attach it (ALTER INDEX " + name
                        + " ATTACH PARTITION <partition's index>), or drop it: DROP INDEX " + name + ";";
            }
            return "Drop it with DROP INDEX CONCURRENTLY " + name + "; and create it again, or rebuild it in place with"
                    + " REINDEX INDEX CONCURRENTLY " + name + ";"
                    + (unique ? " Remove the duplicate rows first, or the rebuild fails the same way." : "");
        }
    }
}
