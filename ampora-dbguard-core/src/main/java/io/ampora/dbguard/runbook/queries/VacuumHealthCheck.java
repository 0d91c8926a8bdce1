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
import java.util.stream.Collectors;

/**
 * Runbook 3, "table bloat needing a VACUUM ANALYZE": tables whose dead tuples exceed the threshold at
 * which autovacuum should have vacuumed them ({@code autovacuum_vacuum_threshold +
 * autovacuum_vacuum_scale_factor * reltuples}, the table's own reloptions first), and tables that
 * changed past the analyze threshold but were never analyzed, so the planner guesses their size.
 * Either means autovacuum is off, behind or held back; the fix is {@code VACUUM (ANALYZE)} on the table, after ending
 * what holds vacuum's xmin horizon back when that is proven (see {@link HorizonHolder}): a replication slot left by a
 * removed standby is named when its horizon is older than a holder known to predate the table's last vacuum, or when
 * it has been inactive since before that vacuum (PostgreSQL 17+); otherwise the finding says only that it may be the
 * cause, since dead tuples older than its horizon are removed by a plain VACUUM.
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
        Held first = null; // the first table's, for the summary and the remediation
        List<String> fixes = new ArrayList<>();
        List<Finding> findings = new ArrayList<>();
        for (Row row : rows) {
            Held held = row.overDeadLimit() ? Held.of(holders, row.lastVacuumTime()) : null;
            if (first == null) {
                first = held;
            }
            String fix = "VACUUM (ANALYZE) " + row.table() + ";";
            fixes.add(fix);
            findings.add(finding(row, held, fix));
        }
        HorizonHolder holder = first == null ? null : first.named();
        HorizonHolder suspect = first == null ? null : first.suspect();
        String start = holder != null ? "End " + first.who() + " first: " + first.fix() + (first.keepers().stream()
                .anyMatch(h -> h.kind().equals("session")) ? " (if it is not the application's: see long-transactions)"
                : "") + "." + first.caution() + " " + first.why() + ", so no VACUUM removes the row versions deleted"
                + " after that until " + first.ends() + ". Then run " : "Run ";
        CheckResult.Builder result = CheckResult.builder(this).status(CheckStatus.WARN)
                .summary(total + " table" + (total == 1 ? " needs" : "s need") + " a VACUUM ANALYZE"
                        + (total > findings.size() ? " (the " + findings.size() + " worst listed)" : "")
                        + (holder != null ? "; " + holder.describe() + " keeps vacuum from removing their dead tuples"
                                : suspect != null ? "; " + suspect.describe() + " may keep vacuum from removing their"
                                        + " dead tuples" : "")
                        + ".")
                .remediation(start + String.join(" ", fixes) + afterTheFixes(autovacuumOff, holder, suspect));
        findings.forEach(result::finding);
        return result.build();
    }

    /**
     * What the remediation says after the VACUUMs: autovacuum disabled, else what may hold the dead tuples (a
     * suspect) or, with nothing named, that autovacuum is behind.
     */
    private static String afterTheFixes(boolean autovacuumOff, HorizonHolder holder, HorizonHolder suspect) {
        String disabled = autovacuumOff ? " Autovacuum is disabled for some of them (autovacuum = off or the table's"
                + " autovacuum_enabled = false): turn it back on." : "";
        if (holder != null) {
            return disabled;
        }
        if (suspect != null) {
            return disabled + " If the VACUUM leaves the dead tuples, " + suspect.describe() + " holds them: it holds"
                    + " vacuum's xmin horizon " + transactions(suspect.xidAge()) + " back. End it, " + suspect.fix()
                    + suspect.caution() + ", and vacuum again.";
        }
        return autovacuumOff ? disabled : " Autovacuum is on but behind: look for long transactions holding back the"
                + " xmin (SELECT pid, age(backend_xmin) FROM pg_stat_activity ORDER BY 2 DESC) and consider lowering"
                + " the table's autovacuum_vacuum_scale_factor.";
    }

    private static Finding finding(Row row, Held held, String fix) {
        HorizonHolder keeping = held == null ? null : held.named();
        HorizonHolder suspect = held == null ? null : held.suspect();
        StringBuilder message = new StringBuilder(row.table()).append(": ");
        if (row.overDeadLimit()) {
            message.append(row.dead()).append(" dead tuples (").append(row.live())
                    .append(" live) exceed the autovacuum threshold of ").append(row.deadLimit()).append("; last vacuum ")
                    .append(row.lastVacuum() == null ? "never" : row.lastVacuum()).append('.');
            if (keeping != null) {
                message.append(" Vacuum cannot remove them while ").append(keeping.describe()).append(" lasts: ")
                        .append(held.proof() == keeping ? "it has held back the xmin horizon since " + keeping.since()
                                + " (" + transactions(keeping.xidAge()) + " ago), and the last vacuum ran after that, so"
                                + " every row version deleted since stays until " + held.ends() + "."
                                : "it holds the xmin horizon " + transactions(keeping.xidAge()) + " back, further than "
                                + held.proof().describe() + ", which has held it since " + held.proof().since()
                                + ", before the last vacuum, so every row version deleted since stays until "
                                + held.ends() + ".")
                        .append(held.caution());
            } else if (suspect != null) {
                message.append(" They may be held back by ").append(suspect.describe()).append(", which holds the xmin"
                                + " horizon ").append(transactions(suspect.xidAge())).append(" back; nothing shows that it"
                                + " held it when the table was last vacuumed. If a VACUUM leaves them, end it first: ")
                        .append(suspect.fix()).append(suspect.caution()).append('.');
            }
        } else {
            message.append(row.modifiedSinceAnalyze()).append(" rows changed but the table was never analyzed,"
                    + " so the planner has no statistics for it.");
        }
        if (!row.autovacuumOn()) {
            message.append(" Autovacuum is disabled for it.");
        }
        String fullFix = keeping == null ? fix : held.fix() + "; then " + fix;
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
                .detail("mayBeHeldBackBy", suspect == null ? null : suspect.describe())
                .detail("fix", fullFix)
                .build();
    }

    /** @return "1 transaction" or "N transactions" */
    private static String transactions(long count) {
        return count + (count == 1 ? " transaction" : " transactions");
    }

    /**
     * What keeps one table's dead tuples. Proven when a holder with a start time (a session, a prepared transaction, a
     * slot inactive since a known time) held the horizon before the table's last vacuum: that vacuum left the dead
     * tuples it keeps. Every holder whose horizon is at least as old keeps them too (a row version deleted after the
     * newer horizon was deleted after the older one), so {@code keepers} are, oldest first, every holder at least as
     * old as the newest proven one, and all of them must end before a VACUUM removes anything: a slot or a standby older
     * than a proven session is named first. {@code proof} is the oldest proven holder, for the message. Otherwise, when
     * the oldest horizon is held by something without such a time (a slot, a standby, a hidden session), it is only a
     * {@code suspect}: nothing ties it to these dead tuples, which may be older than its horizon and removable.
     */
    private record Held(List<HorizonHolder> keepers, HorizonHolder proof, HorizonHolder suspect) {

        static Held of(List<HorizonHolder> holders, OffsetDateTime lastVacuum) {
            List<HorizonHolder> proven = holders.stream().filter(h -> h.heldDuring(lastVacuum)).toList();
            if (!proven.isEmpty()) {
                long youngest = proven.get(proven.size() - 1).xidAge();
                return new Held(holders.stream().filter(h -> h.xidAge() >= youngest).toList(), proven.get(0), null);
            }
            return holders.isEmpty() || !holders.get(0).outsideView() ? null : new Held(List.of(), null, holders.get(0));
        }

        /** @return the oldest holder that keeps the dead tuples, null when none is proven */
        HorizonHolder named() {
            return keepers.isEmpty() ? null : keepers.get(0);
        }

        String who() {
            return keepers.stream().map(HorizonHolder::describe).collect(Collectors.joining(" and "));
        }

        String fix() {
            return keepers.stream().map(HorizonHolder::fix).collect(Collectors.joining("; "));
        }

        String caution() {
            return keepers.stream().map(HorizonHolder::caution).filter(c -> !c.isEmpty()).findFirst()
                    .map(c -> " Drop the slot" + c + ".").orElse("");
        }

        String why() {
            HorizonHolder named = named();
            return named == proof ? "It has held back vacuum's xmin horizon since " + proof.since()
                    : capitalized(named.describe()) + " holds vacuum's xmin horizon " + transactions(named.xidAge())
                            + " back, further than " + proof.describe() + ", which has held it since "
                            + proof.since();
        }

        private static String capitalized(String text) {
            return Character.toUpperCase(text.charAt(0)) + text.substring(1);
        }

        /** @return "it ends", or "it and pid 42 (...) end" when other holders keep the same dead tuples */
        String ends() {
            return keepers.size() == 1 ? "it ends" : "it and " + keepers.stream().skip(1).map(HorizonHolder::describe)
                    .collect(Collectors.joining(" and ")) + " end";
        }
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
