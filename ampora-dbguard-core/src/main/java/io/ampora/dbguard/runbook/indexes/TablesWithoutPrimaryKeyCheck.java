package io.ampora.dbguard.runbook.indexes;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Beyond the runbook: tables with neither a primary key nor a usable unique index on NOT NULL columns.
 * Logical replication cannot replicate their UPDATEs and DELETEs (without {@code REPLICA IDENTITY FULL},
 * which makes the subscriber scan the table for each row), and many tools (pg_repack, ORMs, CDC) need a
 * key. Each finding carries the statement that gives the table one. A partitioned table is reported
 * once, not per partition.
 */
public final class TablesWithoutPrimaryKeyCheck implements DatabaseCheck {

    /** How many tables are listed as findings; the summary counts all of them. */
    public static final CheckSetting<Long> TOP =
            CheckSetting.count("top", 20, "how many tables without a primary key to list as findings");

    @Override
    public String id() {
        return "tables-without-primary-key";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.BEYOND_RUNBOOK;
    }

    @Override
    public String description() {
        return "Tables with neither a primary key nor a unique index on NOT NULL columns, with the statement to add one.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(TOP);
    }

    @Override
    public boolean startupCritical() {
        return false;
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        CheckResult.Builder result = CheckResult.builder(this);
        List<String> fixes = new ArrayList<>();
        long total = 0;
        try (PreparedStatement ps = context.connection().prepareStatement(Sql.load(TablesWithoutPrimaryKeyCheck.class, id()))) {
            ps.setLong(1, context.setting(TOP));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    total = rs.getLong("total");
                    String table = rs.getString("table_name");
                    String fix = fix(table, rs.getString("unique_index"), rs.getString("unique_index_name"), rs.getString("nullable_columns"),
                            rs.getBoolean("has_id_column"), rs.getBoolean("partitioned"));
                    fixes.add(fix);
                    result.finding(Finding.builder((rs.getBoolean("partitioned") ? "Partitioned table " : "Table ") + table
                                    + (rs.getLong("estimated_rows") > 0 ? " (about " + rs.getLong("estimated_rows") + " rows)" : "")
                                    + " has no primary key and no unique"
                                    + " index on NOT NULL columns: logical replication cannot replicate its UPDATEs and"
                                    + " DELETEs" + (rs.getBoolean("replica_identity_full") ? " except through REPLICA"
                                    + " IDENTITY FULL (a scan per row on the subscriber)" : "") + ", and tools such as"
                                    + " pg_repack need a key. " + fix)
                            .detail("table", table)
                            .detail("estimatedRows", rs.getLong("estimated_rows"))
                            .detail("partitioned", rs.getBoolean("partitioned"))
                            .detail("uniqueIndex", rs.getString("unique_index"))
                            .detail("fix", fix)
                            .build());
                }
            }
        }
        if (total == 0) {
            return result.status(CheckStatus.PASS).summary("Every table has a primary key or a unique index on NOT NULL columns.")
                    .build();
        }
        return result.status(CheckStatus.WARN)
                .summary(total + (total == 1 ? " table has" : " tables have") + " no primary key"
                        + (total > fixes.size() ? " (the " + fixes.size() + " largest listed)" : "") + ".")
                .remediation(String.join("\n", fixes))
                .build();
    }

    private static String fix(String table, String uniqueIndex, String indexName, String nullable, boolean hasId, boolean partitioned) {
        if (uniqueIndex != null && nullable != null) {
            StringBuilder fix = new StringBuilder("Its unique index ").append(uniqueIndex)
                    .append(" would do once its columns are NOT NULL: ");
            for (String column : nullable.split(", ")) {
                fix.append("ALTER TABLE ").append(table).append(" ALTER COLUMN ").append(column).append(" SET NOT NULL; ");
            }
            return fix.append(partitioned ? "then ALTER TABLE " + table + " ADD PRIMARY KEY (<its columns>);"
                    : "then ALTER TABLE " + table + " ADD PRIMARY KEY USING INDEX " + indexName
                            + ";").toString();
        }
        if (hasId) {
            return "Add one on its id column (NOT NULL and unique first): ALTER TABLE " + table + " ADD PRIMARY KEY (id);";
        }
        return "Add a key: ALTER TABLE " + table + " ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;"
                + " (rewrites the table under an ACCESS EXCLUSIVE lock: plan a window, or add the column, fill it in"
                + " batches and add the key with a unique index built CONCURRENTLY).";
    }

    /** Every table's keys: a catalog scan that grows with the schema, the same answer from every instance. */
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
