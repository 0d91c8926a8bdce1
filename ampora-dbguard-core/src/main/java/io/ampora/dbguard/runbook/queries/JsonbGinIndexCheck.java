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
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runbook 3, "GIN index missing on a JSONB column you started querying": jsonb columns that statements
 * filter with a containment or existence operator ({@code @> ? ?| ?& @? @@}) while no GIN index serves
 * that operator ({@code jsonb_ops} serves all six, {@code jsonb_path_ops} only {@code @> @? @@}).
 *
 * <p>The evidence is pg_stat_statements' text naming the table and the column next to the operator,
 * with the table's sequential scans; the fix is the exact {@code CREATE INDEX CONCURRENTLY ... USING gin}
 * statement. Without pg_stat_statements the check is skipped rather than guessing from the schema: a
 * jsonb column nobody filters needs no index, and proposing one on every jsonb column would be noise.
 * Tables under {@code minRows} rows are left out, since a sequential scan of them is cheap.
 */
public final class JsonbGinIndexCheck implements DatabaseCheck {

    /** Tables with fewer rows are ignored: scanning them is cheap. */
    public static final CheckSetting<Long> MIN_ROWS =
            CheckSetting.count("minRows", 10_000, "tables with fewer (estimated) rows are ignored");

    private static final Set<String> PATH_OPS_SERVES = Set.of("@>", "@?", "@@");

    @Override
    public String id() {
        return "jsonb-gin-index";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.SLOW_QUERIES;
    }

    @Override
    public String description() {
        return "jsonb columns filtered with @>, ?, ?|, ?&, @? or @@ in pg_stat_statements without a GIN index serving the operator.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(MIN_ROWS);
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
        StatStatements pss = StatStatements.find(context);
        if (!pss.usable()) {
            return CheckResult.skip(this, "No query evidence to tell which jsonb columns are filtered: "
                    + pss.unavailable());
        }
        long minRows = context.setting(MIN_ROWS);
        List<Column> columns = readColumns(context, minRows);
        if (columns.isEmpty()) {
            return CheckResult.pass(this, "No jsonb column on a table of " + minRows + " rows or more.");
        }
        List<RecordedStatement> statements = readStatements(context, pss);
        CheckResult.Builder result = CheckResult.builder(this);
        List<String> fixes = new ArrayList<>();
        for (Column column : columns) {
            Usage usage = column.usage(statements);
            Set<String> unserved = column.unserved(usage.operators);
            if (unserved.isEmpty()) {
                continue;
            }
            String fix = IndexStatements.createIndex(column.table, "gin", column.quotedColumn, column.partitioned);
            fixes.add(fix);
            result.status(CheckStatus.WARN).finding(column.finding(usage, unserved, fix));
        }
        String hidden = context.facts().canReadAllStats() ? ""
                : " Statements of other roles are hidden from " + context.facts().currentUser()
                        + " (GRANT pg_read_all_stats TO " + context.facts().currentUser() + " to see them).";
        if (fixes.isEmpty()) {
            return result.summary("No jsonb column of " + columns.size() + " on tables of " + minRows
                    + "+ rows is filtered with a containment or existence operator without a GIN index serving it ("
                    + statements.size() + " statements with such operators read)." + hidden).build();
        }
        return result.summary(fixes.size() + " jsonb column" + (fixes.size() == 1 ? " is" : "s are")
                        + " filtered with containment or existence operators without a GIN index serving them." + hidden)
                .remediation("Create the GIN indexes, one at a time outside a transaction: " + String.join(" ", fixes)
                        + " Then confirm with EXPLAIN that the statements use them.")
                .build();
    }

    private static List<Column> readColumns(CheckContext context, long minRows) throws SQLException {
        List<Column> columns = new ArrayList<>();
        try (PreparedStatement ps = context.connection().prepareStatement(Sql.load(JsonbGinIndexCheck.class, "jsonb-gin-index"))) {
            ps.setLong(1, minRows);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(new Column(rs.getString("table_simple_name"), rs.getString("table_name"),
                            rs.getString("column_name"), rs.getString("quoted_column"), rs.getBoolean("partitioned"),
                            rs.getLong("estimated_rows"), rs.getLong("seq_scan"),
                            Set.of(rs.getString("gin_opclasses").split(","))));
                }
            }
        }
        return columns;
    }

    private static List<RecordedStatement> readStatements(CheckContext context, StatStatements pss) throws SQLException {
        List<RecordedStatement> statements = new ArrayList<>();
        try (Statement st = context.connection().createStatement();
             ResultSet rs = st.executeQuery(pss.fill(Sql.load(JsonbGinIndexCheck.class, "jsonb-gin-index-statements")))) {
            while (rs.next()) {
                statements.add(new RecordedStatement(rs.getString("query"), rs.getLong("calls")));
            }
        }
        return statements;
    }

    /** A statement from pg_stat_statements. */
    private record RecordedStatement(String query, long calls) {
    }

    /** How statements use a column: operators seen, statements, calls, one example. */
    private static final class Usage {
        final Set<String> operators = new LinkedHashSet<>();
        int statements;
        long calls;
        String example = "";
    }

    private record Column(String simpleTable, String table, String name, String quotedColumn, boolean partitioned,
                          long rows, long seqScan, Set<String> ginOpclasses) {

        Usage usage(List<RecordedStatement> statements) {
            Pattern tablePattern = word(simpleTable);
            Pattern operatorPattern = Pattern.compile("(?:" + word(name).pattern() + ")\\s*(\\?\\||\\?&|@\\?|@>|@@|\\?)",
                    Pattern.CASE_INSENSITIVE);
            Usage usage = new Usage();
            for (RecordedStatement s : statements) {
                if (!tablePattern.matcher(s.query()).find()) {
                    continue;
                }
                Matcher m = operatorPattern.matcher(s.query());
                boolean used = false;
                while (m.find()) {
                    usage.operators.add(m.group(1));
                    used = true;
                }
                if (used) {
                    usage.statements++;
                    usage.calls += s.calls();
                    if (usage.example.isEmpty()) {
                        usage.example = SlowQueriesCheck.shorten(s.query());
                    }
                }
            }
            return usage;
        }

        /** The name as a whole word, bare (any case, identifiers fold) or double-quoted. */
        private static Pattern word(String identifier) {
            String quoted = "\"" + identifier.replace("\"", "\"\"") + "\"";
            return Pattern.compile("(?<![\\w$\"])" + Pattern.quote(identifier) + "(?![\\w$\"])|" + Pattern.quote(quoted),
                    Pattern.CASE_INSENSITIVE);
        }

        Set<String> unserved(Set<String> operators) {
            if (ginOpclasses.contains("jsonb_ops")) {
                return Set.of();
            }
            Set<String> unserved = new LinkedHashSet<>(operators);
            if (ginOpclasses.contains("jsonb_path_ops")) {
                unserved.removeAll(PATH_OPS_SERVES);
            }
            return unserved;
        }

        Finding finding(Usage usage, Set<String> unserved, String fix) {
            String ops = String.join(" ", unserved);
            String existing = ginOpclasses.contains("jsonb_path_ops")
                    ? "its GIN index uses jsonb_path_ops, which serves only @>, @? and @@"
                    : "it has no GIN index";
            return Finding.builder(String.format(Locale.ROOT,
                            "%s.%s is filtered with %s in %d statement(s) (%d calls) but %s; %s (~%d rows) had %d"
                                    + " sequential scans. Example: %s. Fix: %s",
                            table, quotedColumn, ops, usage.statements, usage.calls, existing, table, rows, seqScan,
                            usage.example, fix))
                    .detail("table", table)
                    .detail("column", name)
                    .detail("operators", ops)
                    .detail("statements", usage.statements)
                    .detail("calls", usage.calls)
                    .detail("seqScans", seqScan)
                    .detail("estimatedRows", rows)
                    .detail("existingGinOpclasses", String.join(",", ginOpclasses).replaceAll("^,|,$", ""))
                    .detail("exampleQuery", usage.example)
                    .detail("fix", fix)
                    .build();
        }
    }
}
