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
import io.ampora.dbguard.check.Sql;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Runbook 3, "missing index on a new column added in a migration that did not declare one": foreign keys
 * whose columns are not covered by an index. Without one, every delete or key update on the referenced
 * table scans the referencing table, and joins along the key cannot use an index.
 *
 * <p>A foreign key is covered when its columns equal, as a set, the first n key columns of a valid,
 * non-partial index ({@code INCLUDE} columns do not count). Each finding gives the
 * {@code CREATE INDEX CONCURRENTLY} statement that fixes it. The catalog query joins by oid and attnum
 * only, so it stays fast on schemas with ten thousand foreign keys.
 */
public final class FkIndexCheck implements DatabaseCheck {

    /** How many foreign keys are listed as findings; the summary always counts all of them. */
    public static final CheckSetting<Long> TOP =
            CheckSetting.count("top", 20, "how many unindexed foreign keys to list as findings");

    @Override
    public String id() {
        return "fk-index";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.SLOW_QUERIES;
    }

    @Override
    public String description() {
        return "Foreign keys whose columns are not the leading columns of a valid, non-partial index.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(TOP);
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
     * {@link CheckCost#EXPENSIVE}: a scan that grows with the schema.
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
        long top = context.setting(TOP);
        List<Finding> findings = new ArrayList<>();
        List<String> statements = new ArrayList<>();
        long total = 0;
        try (PreparedStatement ps = context.connection().prepareStatement(Sql.load(FkIndexCheck.class, id()))) {
            ps.setLong(1, Math.max(1, top));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    total = rs.getLong("total");
                    if (findings.size() < top) {
                        String fix = IndexStatements.createIndex(rs.getString("table_name"), "", rs.getString("columns"),
                                rs.getBoolean("partitioned"));
                        statements.add(fix);
                        findings.add(finding(rs, fix));
                    }
                }
            }
        }
        if (total == 0) {
            return CheckResult.pass(this, "Every foreign key has an index starting with its columns.");
        }
        CheckResult.Builder result = CheckResult.builder(this).status(CheckStatus.WARN)
                .summary(total + " foreign key" + (total == 1 ? " has" : "s have") + " no covering index"
                        + (total > findings.size() ? " (the " + findings.size() + " on the largest tables listed)" : "") + ".")
                .remediation("Create the missing indexes, one at a time outside a transaction: "
                        + String.join(" ", statements));
        findings.forEach(result::finding);
        return result.build();
    }

    private static Finding finding(ResultSet rs, String fix) throws SQLException {
        String table = rs.getString("table_name");
        String columns = rs.getString("columns");
        String referenced = rs.getString("referenced_table");
        return Finding.builder("Foreign key " + rs.getString("constraint_name") + " on " + table + " (" + columns
                        + ") referencing " + referenced + " has no index starting with its columns: deletes and key"
                        + " updates on " + referenced + " scan " + table + ". Fix: " + fix)
                .detail("table", table)
                .detail("constraint", rs.getString("constraint_name"))
                .detail("columns", columns)
                .detail("referencedTable", referenced)
                .detail("estimatedRows", rs.getLong("estimated_rows"))
                .detail("partitioned", rs.getBoolean("partitioned"))
                .detail("fix", fix)
                .build();
    }
}
