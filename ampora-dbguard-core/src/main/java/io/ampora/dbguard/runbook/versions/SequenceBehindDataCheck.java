package io.ampora.dbguard.runbook.versions;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.Sql;
import java.math.BigDecimal;
import java.sql.Array;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Runbook 8, a restored database: sequences behind the data of the column they feed (serial or identity).
 * A data-only restore, a {@code COPY} of rows with their ids, an ETL load, or a switch to a logical replica
 * (logical replication copies rows, not sequence values; the usual path of a major-version upgrade without
 * downtime) leaves the sequence at its start while the column holds the old ids: every insert that takes an id
 * from it fails with {@code duplicate key value violates unique constraint} (23505) until the sequence passes
 * the data, or, without a unique index, writes a duplicate. FAIL when the column holds the sequence's next
 * value (the next insert collides), WARN when the first taken id lies further on (ids written ahead of the
 * sequence: inserts collide once it gets there); each with the next value, the first taken id and the
 * column's maximum; the fix is {@code setval} to the maximum.
 *
 * <p>Measuring the maximum costs a query per table, so only candidates are measured (never called, or below
 * the table's row estimate), on columns a btree index leads with, up to {@link #MAX_MEASURED} per run; the
 * rest cannot be behind by the estimate's account. Sequences the role may not read are counted in the summary;
 * a suspect table whose row-level security is active for the role is named and makes the answer UNKNOWN, since
 * its policies would hide rows from {@code max()}.
 */
public final class SequenceBehindDataCheck implements DatabaseCheck {

    /** How many candidate sequences to compare with their column's maximum per run. */
    public static final CheckSetting<Long> MAX_MEASURED = CheckSetting.count("maxMeasured", 200,
            "how many candidate sequences (never called, or below the table's row estimate) to compare with their"
                    + " column's maximum per run");

    @Override
    public String id() {
        return "sequence-behind-data";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.VERSION_MISMATCH;
    }

    @Override
    public String description() {
        return "Sequences behind the ids already in their column (a data-only restore, a COPY with ids, a switch to a"
                + " logical replica): inserts fail with duplicate key.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(MAX_MEASURED);
    }

    /**
     * Not startup-critical: a column whose ids the application always writes itself (from another system) has
     * a sequence that is never called and looks behind; such a table must not stop a service from starting.
     *
     * @return false
     */
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
     * {@link CheckCost#EXPENSIVE}: a pass over every sequence and its column (it grows with the schema), and two
     * index probes per candidate (at most {@link #MAX_MEASURED}).
     *
     * @return {@link CheckCost#EXPENSIVE}
     */
    @Override
    public CheckCost cost() {
        return CheckCost.EXPENSIVE;
    }

    /**
     * None: a sequence behind its data fails one table's inserts, a database-wide condition that every instance
     * sees the same, and taking every instance out of the load balancer at once would turn it into an outage (the
     * reasoning of {@code query-latency}). The monitor still reports, logs and counts it.
     *
     * @return no probe
     */
    @Override
    public Set<Probe> probes() {
        return Set.of();
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        long maxMeasured = Math.max(0, Math.min(Integer.MAX_VALUE, context.setting(MAX_MEASURED)));
        List<Finding> findings = new ArrayList<>();
        List<String> fixes = new ArrayList<>();
        long unreadable = 0;
        long measured = 0;
        long collideNow = 0;
        List<String> hidden = List.of();
        CheckStatus worst = CheckStatus.WARN;
        try (PreparedStatement ps = context.connection().prepareStatement(Sql.load(SequenceBehindDataCheck.class, id()))) {
            ps.setLong(1, maxMeasured);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    unreadable = rs.getLong("unreadable");
                    measured = rs.getLong("measured");
                    Array hiddenArray = rs.getArray("hidden_by_rls");
                    hidden = List.of((String[]) hiddenArray.getArray());
                    hiddenArray.free();
                    String sequence = rs.getString("sequence_name");
                    if (sequence == null) {
                        continue;
                    }
                    String column = rs.getString("table_name") + "." + rs.getString("column_name");
                    BigDecimal next = new BigDecimal(rs.getString("next_value"));
                    BigDecimal taken = new BigDecimal(rs.getString("first_taken"));
                    String max = rs.getString("max_value");
                    boolean identity = rs.getBoolean("is_identity");
                    boolean now = taken.compareTo(next) == 0;
                    worst = now ? CheckStatus.FAIL : worst;
                    collideNow += now ? 1 : 0;
                    findings.add(Finding.builder((identity ? "Identity column " : "Column ") + column + " holds ids up to "
                                    + max + ", but its sequence " + sequence + " gives " + next.toPlainString() + " next: "
                                    + (now ? "the next insert that takes an id from it collides with an existing row."
                                    : "inserts collide once it reaches " + taken.toPlainString() + ", "
                                    + taken.subtract(next).toPlainString() + " ids from now."))
                            .detail("sequence", sequence)
                            .detail("table", rs.getString("table_name"))
                            .detail("column", rs.getString("column_name"))
                            .detail("identity", identity)
                            .detail("lastValue", rs.getString("last_value"))
                            .detail("nextValue", next.toPlainString())
                            .detail("firstTakenValue", taken.toPlainString())
                            .detail("maxValue", max)
                            .build());
                    fixes.add("SELECT pg_catalog.setval('" + sequence.replace("'", "''") + "', (SELECT max("
                            + rs.getString("column_ident") + ") FROM " + rs.getString("table_name") + "));");
                }
            }
        }
        String unreadableNote = unreadable == 0 ? ""
                : " " + unreadable + (unreadable == 1 ? " sequence is" : " sequences are") + " not readable by "
                + context.facts().currentUser() + " (GRANT SELECT ON SEQUENCE ... or USAGE), so not compared.";
        String limitNote = measured >= maxMeasured && maxMeasured > 0 ? " " + measured
                + " candidates were compared (sequence-behind-data.maxMeasured); others may be left for the next run." : "";
        String hiddenNote = hidden.isEmpty() ? ""
                : " Row-level security is active for " + context.facts().currentUser() + " on " + hidden.size()
                + (hidden.size() == 1 ? " table" : " tables") + " whose sequence may be behind (" + String.join(", ", hidden)
                + "): max() would count only the rows its policies show, so they were not compared; run this check as the"
                + " table's owner or a BYPASSRLS role.";
        unreadableNote += hiddenNote;
        if (findings.isEmpty()) {
            return CheckResult.builder(this)
                    .status(unreadable == 0 && hidden.isEmpty() ? CheckStatus.PASS : CheckStatus.UNKNOWN)
                    .summary("No sequence is behind the ids in its column (" + measured + " compared with the column's"
                            + " maximum; every other one is past its table's row estimate)." + unreadableNote + limitNote)
                    .build();
        }
        int behind = findings.size();
        CheckResult.Builder result = CheckResult.builder(this).status(worst)
                .summary(behind + (behind == 1 ? " sequence is" : " sequences are") + " behind ids already in "
                        + (behind == 1 ? "its column" : "their columns") + " (" + collideNow + " at the very next value): inserts"
                        + " that take an id from " + (behind == 1 ? "it" : "them") + " fail with 'duplicate key value violates"
                        + " unique constraint' (23505), as after a data-only restore, a COPY with ids or a switch to a logical"
                        + " replica (it copies rows, not sequence values)." + unreadableNote + limitNote)
                .remediation("Move each sequence past its column's data: " + String.join(" ", fixes)
                        + " (after a switch to a logical replica, do it for every sequence before writes start.)");
        findings.forEach(result::finding);
        return result.build();
    }
}
