package io.ampora.dbguard.runbook.indexes;

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
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Runbook 6 (what fills the disk) and 3 (every write pays for every index): indexes another index on the
 * same table makes redundant. Identical ones (same columns or expressions, opclasses, collations, sort
 * options, predicate, with uniqueness compatible) and prefix-redundant ones (a non-unique btree whose key
 * columns lead another btree's). Each finding names the index to keep and the {@code DROP INDEX
 * CONCURRENTLY} for the other; an index backing a constraint or the replica identity is never the one
 * proposed for dropping. A partitioned table's indexes are reported once, on the partitioned index.
 */
public final class DuplicateIndexesCheck implements DatabaseCheck {

    @Override
    public String id() {
        return "duplicate-indexes";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.DISK_FULL;
    }

    @Override
    public String description() {
        return "Identical and prefix-redundant indexes, with the one to keep and the DROP INDEX CONCURRENTLY for the other.";
    }

    @Override
    public boolean startupCritical() {
        return false;
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        CheckResult.Builder result = CheckResult.builder(this);
        List<String> fixes = new ArrayList<>();
        long bytes = 0;
        try (Statement st = context.connection().createStatement();
             ResultSet rs = st.executeQuery(Sql.load(DuplicateIndexesCheck.class, id()))) {
            while (rs.next()) {
                String index = rs.getString("index_name");
                String keep = rs.getString("keep_name");
                String table = rs.getString("table_name");
                boolean identical = "identical".equals(rs.getString("reason"));
                boolean partitioned = rs.getBoolean("partitioned");
                long size = rs.getLong("size_bytes");
                String fix = (partitioned ? "DROP INDEX " : "DROP INDEX CONCURRENTLY ") + index + ";";
                String message = "Index " + index + " (" + rs.getString("columns") + ") on " + table + " is "
                        + (identical ? "identical to " : "redundant: its columns lead those of ") + keep + " ("
                        + rs.getString("keep_columns") + "), which serves the same queries; keep " + keep
                        + " and drop it" + (partitioned ? " (a partitioned index: DROP INDEX without CONCURRENTLY,"
                        + " which drops the partitions' indexes too and locks the table)" : "") + ": " + fix
                        + " Every write maintains both" + (size > 0 ? "; it takes " + SettingValues.formatBytes(size) : "")
                        + ".";
                result.finding(Finding.builder(message)
                        .detail("index", index)
                        .detail("keep", keep)
                        .detail("table", table)
                        .detail("reason", identical ? "identical" : "prefix")
                        .detail("columns", rs.getString("columns"))
                        .detail("sizeBytes", size)
                        .detail("size", SettingValues.formatBytes(size))
                        .detail("partitioned", partitioned)
                        .detail("fix", fix)
                        .build());
                fixes.add(fix);
                bytes += size;
            }
        }
        if (fixes.isEmpty()) {
            return result.status(CheckStatus.PASS).summary("No identical or prefix-redundant index.").build();
        }
        return result.status(CheckStatus.WARN)
                .summary(fixes.size() + (fixes.size() == 1 ? " index is" : " indexes are") + " redundant ("
                        + SettingValues.formatBytes(bytes) + ").")
                .remediation(String.join("\n", fixes))
                .build();
    }

    /** Every index compared: a catalog scan that grows with the schema, the same answer from every instance. */
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
