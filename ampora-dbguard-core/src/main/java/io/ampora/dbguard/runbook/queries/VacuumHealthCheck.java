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
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Runbook 3, "table bloat needing a VACUUM ANALYZE": tables whose dead tuples exceed the threshold at
 * which autovacuum should have vacuumed them ({@code autovacuum_vacuum_threshold +
 * autovacuum_vacuum_scale_factor * reltuples}, the table's own reloptions first), and tables that
 * changed past the analyze threshold but were never analyzed, so the planner guesses their size.
 * Either means autovacuum is off, behind or held back; the fix is {@code VACUUM (ANALYZE)} on the table.
 * SKIP on a standby: its statistics count only its own activity, never the primary's dead tuples.
 */
public final class VacuumHealthCheck implements DatabaseCheck {

    /** How many tables are listed as findings; the summary always counts all of them. */
    public static final CheckSetting<Long> TOP =
            CheckSetting.count("top", 20, "how many tables needing VACUUM ANALYZE to list as findings");

    @Override
    public String id() {
        return "vacuum-health";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.SLOW_QUERIES;
    }

    @Override
    public String description() {
        return "Tables whose dead tuples exceed their autovacuum threshold, or that changed but were never analyzed.";
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
        if (context.facts().inRecovery()) {
            return CheckResult.skip(this, "This server is a standby in recovery: VACUUM and autovacuum run on the primary,"
                    + " and a standby's statistics count only its own activity (no dead tuples, no changes since"
                    + " ANALYZE), so nothing here tells whether the tables need a vacuum. Run the guard against the"
                    + " primary.");
        }
        long top = context.setting(TOP);
        List<Row> rows = new ArrayList<>();
        int total = 0;
        boolean autovacuumOff = false;
        try (Statement st = context.connection().createStatement();
             ResultSet rs = st.executeQuery(Sql.load(VacuumHealthCheck.class, id()))) {
            while (rs.next()) {
                total++;
                autovacuumOff |= !rs.getBoolean("autovacuum_on");
                if (rows.size() < top) {
                    rows.add(Row.of(rs));
                }
            }
        }
        if (total == 0) {
            return CheckResult.pass(this, "No table has more dead tuples than its autovacuum threshold or lacks statistics.");
        }
        // only when dead tuples are over a threshold: what keeps a VACUUM from removing them
        List<HorizonHolder> holders = rows.stream().anyMatch(Row::overDeadLimit)
                ? HorizonHolder.read(context.connection()) : List.of();
        HorizonHolder holder = null; // the first table's, for the summary and the remediation
        List<String> fixes = new ArrayList<>();
        List<Finding> findings = new ArrayList<>();
        for (Row row : rows) {
            // the oldest horizon held since before the table's last vacuum
            HorizonHolder keeping = row.overDeadLimit() ? holders.stream()
                    .filter(h -> h.heldDuring(row.lastVacuumTime())).findFirst().orElse(null) : null;
            if (holder == null) {
                holder = keeping;
            }
            String fix = "VACUUM (ANALYZE) " + row.table() + ";";
            fixes.add(fix);
            findings.add(finding(row, keeping, fix));
        }
        boolean heldBack = holder != null;
        String first = heldBack ? "End " + holder.describe() + " first: " + holder.fix() + (holder.kind().equals("session")
                ? " (if it is not the application's: see long-transactions)" : "") + ". It has held back vacuum's xmin"
                + " horizon since " + holder.since() + ", so no VACUUM removes the row versions deleted after that"
                + " until it ends. Then run " : "Run ";
        CheckResult.Builder result = CheckResult.builder(this).status(CheckStatus.WARN)
                .summary(total + " table" + (total == 1 ? " needs" : "s need") + " a VACUUM ANALYZE"
                        + (total > findings.size() ? " (the " + findings.size() + " worst listed)" : "")
                        + (heldBack ? "; " + holder.describe() + " keeps vacuum from removing their dead tuples" : "")
                        + ".")
                .remediation(first + String.join(" ", fixes)
                        + (autovacuumOff ? " Autovacuum is disabled for some of them (autovacuum = off or the table's"
                                + " autovacuum_enabled = false): turn it back on." : heldBack ? "" : " Autovacuum is on"
                                + " but behind: look for long transactions holding back the xmin (SELECT pid,"
                                + " age(backend_xmin) FROM pg_stat_activity ORDER BY 2 DESC) and consider lowering the"
                                + " table's autovacuum_vacuum_scale_factor."));
        findings.forEach(result::finding);
        return result.build();
    }

    private static Finding finding(Row row, HorizonHolder keeping, String fix) {
        StringBuilder message = new StringBuilder(row.table()).append(": ");
        if (row.overDeadLimit()) {
            message.append(row.dead()).append(" dead tuples (").append(row.live())
                    .append(" live) exceed the autovacuum threshold of ").append(row.deadLimit()).append("; last vacuum ")
                    .append(row.lastVacuum() == null ? "never" : row.lastVacuum()).append('.');
            if (keeping != null) {
                message.append(" Vacuum cannot remove them while ").append(keeping.describe()).append(" lasts: it has"
                                + " held back the xmin horizon since ").append(keeping.since()).append(" (")
                        .append(keeping.xidAge()).append(" transactions ago), and the last vacuum ran after that, so"
                                + " every row version deleted since stays until it ends.");
            }
        } else {
            message.append(row.modifiedSinceAnalyze()).append(" rows changed but the table was never analyzed,"
                    + " so the planner has no statistics for it.");
        }
        if (!row.autovacuumOn()) {
            message.append(" Autovacuum is disabled for it.");
        }
        String fullFix = keeping == null ? fix : keeping.fix() + "; then " + fix;
        message.append(" Fix: ").append(fullFix);
        return Finding.builder(message.toString())
                .detail("table", row.table())
                .detail("deadTuples", row.dead())
                .detail("liveTuples", row.live())
                .detail("deadTupleThreshold", row.deadLimit())
                .detail("modifiedSinceAnalyze", row.modifiedSinceAnalyze())
                .detail("lastVacuum", row.lastVacuum())
                .detail("lastAnalyze", row.lastAnalyze())
                .detail("autovacuumEnabled", row.autovacuumOn())
                .detail("heldBackBy", keeping == null ? null : keeping.describe())
                .detail("heldBackSince", keeping == null ? null : keeping.since())
                .detail("horizonXidAge", keeping == null ? null : keeping.xidAge())
                .detail("fix", fullFix)
                .build();
    }

    /** One table over a threshold, as the check's query returns it. */
    private record Row(String table, long dead, long deadLimit, long live, long modifiedSinceAnalyze, String lastVacuum,
                       OffsetDateTime lastVacuumTime, String lastAnalyze, boolean autovacuumOn) {

        static Row of(ResultSet rs) throws SQLException {
            return new Row(rs.getString("table_name"), rs.getLong("n_dead_tup"), rs.getLong("dead_limit"),
                    rs.getLong("n_live_tup"), rs.getLong("n_mod_since_analyze"),
                    rs.getBoolean("never_vacuumed") ? null : rs.getString("last_vacuum"),
                    rs.getObject("last_vacuum_time", OffsetDateTime.class), rs.getString("last_analyze"),
                    rs.getBoolean("autovacuum_on"));
        }

        boolean overDeadLimit() {
            return dead > deadLimit;
        }
    }
}
