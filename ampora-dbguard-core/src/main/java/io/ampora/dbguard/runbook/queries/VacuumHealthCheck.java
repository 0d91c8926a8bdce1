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
import java.sql.Statement;
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
        List<Finding> findings = new ArrayList<>();
        List<String> fixes = new ArrayList<>();
        int total = 0;
        boolean autovacuumOff = false;
        try (Statement st = context.connection().createStatement();
             ResultSet rs = st.executeQuery(Sql.load(VacuumHealthCheck.class, id()))) {
            while (rs.next()) {
                total++;
                autovacuumOff |= !rs.getBoolean("autovacuum_on");
                if (findings.size() < top) {
                    String fix = "VACUUM (ANALYZE) " + rs.getString("table_name") + ";";
                    fixes.add(fix);
                    findings.add(finding(rs, fix));
                }
            }
        }
        if (total == 0) {
            return CheckResult.pass(this, "No table has more dead tuples than its autovacuum threshold or lacks statistics.");
        }
        CheckResult.Builder result = CheckResult.builder(this).status(CheckStatus.WARN)
                .summary(total + " table" + (total == 1 ? " needs" : "s need") + " a VACUUM ANALYZE"
                        + (total > findings.size() ? " (the " + findings.size() + " worst listed)" : "") + ".")
                .remediation("Run " + String.join(" ", fixes)
                        + (autovacuumOff ? " Autovacuum is disabled for some of them (autovacuum = off or the table's"
                                + " autovacuum_enabled = false): turn it back on." : " Autovacuum is on but behind:"
                                + " look for long transactions holding back the xmin (SELECT pid, age(backend_xmin)"
                                + " FROM pg_stat_activity ORDER BY 2 DESC) and consider lowering the table's"
                                + " autovacuum_vacuum_scale_factor."));
        findings.forEach(result::finding);
        return result.build();
    }

    private static Finding finding(ResultSet rs, String fix) throws java.sql.SQLException {
        String table = rs.getString("table_name");
        long dead = rs.getLong("n_dead_tup");
        long deadLimit = rs.getLong("dead_limit");
        long live = rs.getLong("n_live_tup");
        StringBuilder message = new StringBuilder(table).append(": ");
        if (dead > deadLimit) {
            message.append(dead).append(" dead tuples (").append(live).append(" live) exceed the autovacuum threshold of ")
                    .append(deadLimit).append("; last vacuum ")
                    .append(rs.getBoolean("never_vacuumed") ? "never" : rs.getString("last_vacuum")).append('.');
        } else {
            message.append(rs.getLong("n_mod_since_analyze")).append(" rows changed but the table was never analyzed,"
                    + " so the planner has no statistics for it.");
        }
        if (!rs.getBoolean("autovacuum_on")) {
            message.append(" Autovacuum is disabled for it.");
        }
        message.append(" Fix: ").append(fix);
        return Finding.builder(message.toString())
                .detail("table", table)
                .detail("deadTuples", dead)
                .detail("liveTuples", live)
                .detail("deadTupleThreshold", deadLimit)
                .detail("modifiedSinceAnalyze", rs.getLong("n_mod_since_analyze"))
                .detail("lastVacuum", rs.getString("last_vacuum"))
                .detail("lastAnalyze", rs.getString("last_analyze"))
                .detail("autovacuumEnabled", rs.getBoolean("autovacuum_on"))
                .detail("fix", fix)
                .build();
    }
}
