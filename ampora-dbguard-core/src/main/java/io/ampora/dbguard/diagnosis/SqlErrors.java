package io.ampora.dbguard.diagnosis;

import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.internal.SecretMasker;
import io.ampora.dbguard.runbook.connections.ConnectionDiagnosis;
import io.ampora.dbguard.runbook.connections.ConnectionFailure;
import io.ampora.dbguard.runbook.connections.ConnectionFailureClassifier;
import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * Explains the errors an application's own statements meet: deadlocks, serialization failures, lock and
 * statement timeouts, sessions the server ended, read-only transactions, row-level security refusals, prepared
 * statements lost behind a pooler, a schema behind the code. Each {@link SqlErrorDiagnosis} names the cause, what
 * it means, the fix with the check that shows the evidence, and whether retrying the transaction is right.
 *
 * <pre>{@code
 * try {
 *     orderRepository.save(order);
 * } catch (DataAccessException e) {
 *     SqlErrorDiagnosis why = SqlErrors.explain(e);
 *     log.warn("{} ({}): {} Fix: {}", why.cause(), why.sqlState(), why.meaning(), why.fix());
 * }
 * }</pre>
 *
 * <p>The cause comes from the SQLSTATE; where one SQLSTATE means several things (40001 is a serialization failure
 * or a query cancelled on a hot standby, 57014 a statement timeout or a cancel request, 42501 a missing privilege
 * or a row-level security policy) the server's message tells them apart. That needs the server's messages in
 * English ({@code lc_messages}); in another language those fall back to the SQLSTATE's most common meaning.
 * Failures to connect are explained by {@link ConnectionFailureClassifier}, not repeated here.
 */
public final class SqlErrors {

    private static final SecretMasker MASKER = SecretMasker.patternsOnly();

    /** "ERROR:", "FATAL:" or "PANIC:" where the server's words start, after a log prefix or an exception's name. */
    private static final Pattern SEVERITY = Pattern.compile("(?:^|[\\s:\\]>])(?:ERROR|FATAL|PANIC):\\s*");
    /** "SQLSTATE 40001", "(SQLState: 40001)", "sqlstate=40001". */
    private static final Pattern SQLSTATE = Pattern.compile(
            "(?i)\\(?\\bsql\\s?state\\b\\s*[:=]?\\s*\\(?([0-9a-z]{5})\\b\\)?\\)?");
    /** Where the server's message ends in pgjdbc's text or a log line: its DETAIL, HINT and context. */
    private static final Pattern FIELD = Pattern.compile(
            "(?i)(?:\\R\\s*|\\s+)(detail|hint|where|position|location|context|statement|server sqlstate):\\s*");
    /** Besides classes 08 and 28: no such database, no free slot, a crash, a server starting, a dropped database. */
    private static final Set<String> CONNECTION_STATES = Set.of("3D000", "53300", "57P02", "57P03", "57P04");
    private static final Pattern VALID_STATE = Pattern.compile("[0-9A-Z]{5}");
    private static final Pattern UNIQUE_CONSTRAINT = Pattern.compile("unique constraint \"((?:[^\"]|\"\")+)\"");
    private static final Pattern PRIMARY_KEY_NAME = Pattern.compile("(?i).*_pkey|pk_.*|.*_pk");
    private static final Pattern DUPLICATE_INTEGER_KEY = Pattern.compile("Key \\(([^,()]+)\\)=\\((-?\\d+)\\) already exists");
    private static final Pattern EMPTY_INPUT = Pattern.compile("invalid input syntax for (?:type )?[\\w ]+: \"\"");
    private static final Pattern CUSTOM_SETTING = Pattern.compile("unrecognized configuration parameter \"[^\".]+\\.[^\"]+\"");

    /** What a message alone says about its SQLSTATE, for the causes this class knows; first match wins. */
    private static final List<Map.Entry<Pattern, String>> INFERRED = List.of(
            infer("conflict with recovery|could not serialize access", "40001"),
            infer("deadlock detected", "40P01"),
            infer("lock timeout|could not obtain lock", "55P03"),
            infer("statement timeout|due to user request", "57014"),
            infer("idle-in-transaction timeout", "25P03"),
            infer("due to transaction timeout", "25P04"),
            infer("idle-session timeout", "57P05"),
            infer("read-only transaction|during recovery", "25006"),
            infer("temp_file_limit", "53400"),
            infer("could not extend file|no space left on device", "53100"),
            infer("out of memory", "53200"),
            infer("administrator command", "57P01"),
            infer("crash of another server process", "57P02"),
            infer("the database system is (?:starting up|shutting down|in recovery mode|not yet accepting)", "57P03"),
            infer("row-level security|no tenant is bound|permission denied|must be owner of", "42501"),
            infer("cached plan must not change result type", "0A000"),
            infer("prepared statement \"[^\"]*\" does not exist", "26000"),
            infer("prepared statement \"[^\"]*\" already exists", "42P05"),
            infer("current transaction is aborted", "25P02"),
            infer("duplicate key value violates unique constraint", "23505"),
            infer("relation \"[^\"]*\" does not exist", "42P01"),
            infer("column \"[^\"]*\" (?:of relation \"[^\"]*\" )?does not exist", "42703"),
            infer("invalid input syntax for", "22P02"),
            infer("unrecognized configuration parameter", "42704"),
            infer("password authentication failed", "28P01"),
            infer("no pg_hba\\.conf entry", "28000"),
            infer("database \"[^\"]*\" does not exist", "3D000"),
            infer("too many clients|too many connections|connection slots are reserved", "53300"),
            infer("connection refused", "08001"),
            infer("i/o error|connection reset|connection has been closed", "08006"));

    /** The standard SQLSTATE classes, to say what a code this class does not know is about. */
    private static final Map<String, String> CLASSES = Map.ofEntries(
            Map.entry("01", "warning"), Map.entry("02", "no data"), Map.entry("08", "connection exception"),
            Map.entry("09", "triggered action exception"), Map.entry("0A", "feature not supported"),
            Map.entry("0B", "invalid transaction initiation"), Map.entry("0L", "invalid grantor"),
            Map.entry("0P", "invalid role specification"), Map.entry("20", "case not found"),
            Map.entry("21", "cardinality violation"), Map.entry("22", "data exception"),
            Map.entry("23", "integrity constraint violation"), Map.entry("24", "invalid cursor state"),
            Map.entry("25", "invalid transaction state"), Map.entry("26", "invalid SQL statement name"),
            Map.entry("27", "triggered data change violation"), Map.entry("28", "invalid authorization specification"),
            Map.entry("2B", "dependent privilege descriptors still exist"),
            Map.entry("2D", "invalid transaction termination"), Map.entry("2F", "SQL routine exception"),
            Map.entry("34", "invalid cursor name"), Map.entry("38", "external routine exception"),
            Map.entry("39", "external routine invocation exception"), Map.entry("3B", "savepoint exception"),
            Map.entry("3D", "invalid catalog name"), Map.entry("3F", "invalid schema name"),
            Map.entry("40", "transaction rollback"), Map.entry("42", "syntax error or access rule violation"),
            Map.entry("44", "WITH CHECK OPTION violation"), Map.entry("53", "insufficient resources"),
            Map.entry("54", "program limit exceeded"), Map.entry("55", "object not in prerequisite state"),
            Map.entry("57", "operator intervention"), Map.entry("58", "system error"),
            Map.entry("72", "snapshot failure"), Map.entry("F0", "configuration file error"),
            Map.entry("HV", "foreign data wrapper error"), Map.entry("P0", "PL/pgSQL error"),
            Map.entry("XX", "internal error"));

    private SqlErrors() {
    }

    /**
     * Explains what a statement (or the framework around it) threw. Walks the cause chain and
     * {@link SQLException#getNextException()} (a batch's entries) to the PostgreSQL error, preferring the one
     * that carries the server's own fields (pgjdbc's {@link ServerErrorMessage}: message, DETAIL, constraint).
     *
     * @param error what was thrown: an {@link SQLException}, or any exception wrapping one (Spring, Hibernate)
     * @return the diagnosis; {@link SqlErrorCause#OTHER} when nothing in the chain is from the database
     */
    public static SqlErrorDiagnosis explain(Throwable error) {
        Objects.requireNonNull(error, "error");
        List<Throwable> chain = chain(error);
        SQLException sql = postgresError(chain);
        if (ConnectionFailureClassifier.noFreePoolConnection(error).isPresent()
                || (sql == null && chain.stream().anyMatch(IOException.class::isInstance))) {
            return connection(ConnectionFailureClassifier.classify(error), "");
        }
        if (sql == null) {
            return diagnosis(SqlErrorCause.OTHER, "", error.toString(), "", other(""), null);
        }
        ServerErrorMessage server = sql instanceof PSQLException p ? p.getServerErrorMessage() : null;
        String state = server != null && server.getSQLState() != null ? server.getSQLState() : nullToEmpty(sql.getSQLState());
        if (server != null) {
            String message = nullToEmpty(server.getMessage());
            return classify(state, message, nullToEmpty(server.getDetail()), server.getConstraint(), sql);
        }
        Parsed parsed = parse(nullToEmpty(sql.getMessage()));
        return classify(state, parsed.message(), parsed.detail(), null, sql);
    }

    /**
     * Explains an error known only by its SQLSTATE and message, e.g. read from a log. Without an SQLSTATE it is
     * inferred from the message for the causes this class knows ({@link #inferSqlState(String)}).
     *
     * @param sqlState the SQLSTATE, or null or blank when unknown
     * @param message  the server's message (a leading {@code ERROR:} or {@code FATAL:} is fine), or null
     * @return the diagnosis
     * @throws IllegalArgumentException when the SQLSTATE is not five digits and capital letters
     */
    public static SqlErrorDiagnosis explain(String sqlState, String message) {
        Parsed parsed = parse(nullToEmpty(message));
        String state = sqlState == null || sqlState.isBlank() ? parsed.sqlState() : sqlState.trim().toUpperCase(Locale.ROOT);
        if (!state.isEmpty() && !VALID_STATE.matcher(state).matches()) {
            throw new IllegalArgumentException("SQLSTATE '" + sqlState + "' is not five digits and capital letters,"
                    + " e.g. 40P01");
        }
        if (state.isEmpty()) {
            state = inferSqlState(parsed.message()).orElse("");
        }
        return classify(state, parsed.message(), parsed.detail(), null, new SQLException(parsed.message(), state));
    }

    /**
     * Explains a pasted log line or exception text: an optional prefix up to {@code ERROR:}, {@code FATAL:} or
     * {@code PANIC:}, the message, an SQLSTATE where the line has one ({@code SQLSTATE 40001},
     * {@code (SQLState: 40001)}) and a {@code DETAIL:}.
     *
     * @param line the text, e.g. {@code 2026-12-06 10:00:00 UTC [4711] ERROR:  deadlock detected}
     * @return the diagnosis
     */
    public static SqlErrorDiagnosis explainLogLine(String line) {
        return explain(null, line);
    }

    /**
     * The SQLSTATE a message in English implies, for the causes this class knows: what
     * {@link #explain(String, String)} uses when it is given none.
     *
     * @param message the server's message
     * @return the SQLSTATE, empty when the message is not one this class knows
     */
    public static Optional<String> inferSqlState(String message) {
        String text = nullToEmpty(message);
        for (Map.Entry<Pattern, String> e : INFERRED) {
            if (e.getKey().matcher(text).find()) {
                return Optional.of(e.getValue());
            }
        }
        return Optional.empty();
    }

    private static SqlErrorDiagnosis classify(String state, String message, String detail, String constraint,
                                              SQLException sql) {
        SqlErrorCause cause = cause(state, message, detail, constraint);
        if (cause == SqlErrorCause.CONNECTION) {
            return connection(ConnectionFailureClassifier.classify(sql), detail);
        }
        if (cause == SqlErrorCause.OTHER) {
            return diagnosis(cause, state, message, detail, other(state), null);
        }
        return diagnosis(cause, state, message, detail, null, null);
    }

    private static SqlErrorCause cause(String state, String message, String detail, String constraint) {
        String m = message.toLowerCase(Locale.ROOT);
        // 40001, 40P01 (a buffer-pin deadlock) and 57P04 (a dropped database) all say so on a standby
        if (m.contains("conflict with recovery")) {
            return SqlErrorCause.RECOVERY_CONFLICT;
        }
        switch (state) {
            case "40001":
                return SqlErrorCause.SERIALIZATION_FAILURE;
            case "40P01":
                return SqlErrorCause.DEADLOCK;
            case "55P03":
                return SqlErrorCause.LOCK_TIMEOUT;
            case "57014":
                return m.contains("statement timeout") ? SqlErrorCause.STATEMENT_TIMEOUT
                        : m.contains("user request") ? SqlErrorCause.CANCELED_ON_REQUEST : SqlErrorCause.QUERY_CANCELED;
            case "25P03":
                return SqlErrorCause.IDLE_IN_TRANSACTION_TIMEOUT;
            case "25P04":
                return SqlErrorCause.TRANSACTION_TIMEOUT;
            case "57P05":
                return SqlErrorCause.IDLE_SESSION_TIMEOUT;
            case "25006":
                return SqlErrorCause.READ_ONLY_TRANSACTION;
            case "53100":
                return SqlErrorCause.DISK_FULL;
            case "53200":
                return SqlErrorCause.OUT_OF_MEMORY;
            case "53400", "54000":
                // PostgreSQL raises temp_file_limit as 53400 (configuration limit exceeded)
                return m.contains("temp_file_limit") ? SqlErrorCause.TEMP_FILE_LIMIT : SqlErrorCause.OTHER;
            case "57P01":
                return SqlErrorCause.TERMINATED_BY_ADMINISTRATOR;
            case "42501":
                return m.contains("row-level security") ? SqlErrorCause.RLS_POLICY_VIOLATION
                        : m.contains("no tenant is bound") ? SqlErrorCause.TENANT_NOT_BOUND
                        : m.contains("permission denied for schema") || m.contains("permission denied for database")
                                || m.contains("permission denied to create") || m.contains("must be owner of")
                                ? SqlErrorCause.PERMISSION_DENIED_DDL : SqlErrorCause.PERMISSION_DENIED;
            case "22P02", "22023":
                // '' is what current_setting('app.tenant_id') gives on a pooled session after a SET LOCAL ended
                return EMPTY_INPUT.matcher(message).find() ? SqlErrorCause.TENANT_NOT_BOUND : SqlErrorCause.OTHER;
            case "42704":
                // only custom settings (with a dot) can be missing: a policy reading the tenant on a new session
                return CUSTOM_SETTING.matcher(message).find() ? SqlErrorCause.TENANT_NOT_BOUND : SqlErrorCause.OTHER;
            case "0A000":
                return m.contains("cached plan must not change result type") ? SqlErrorCause.CACHED_PLAN_CHANGED
                        : SqlErrorCause.OTHER;
            case "26000":
                return SqlErrorCause.POOLER_PREPARED_STATEMENTS;
            case "42P05":
                return m.contains("prepared statement") ? SqlErrorCause.POOLER_PREPARED_STATEMENTS : SqlErrorCause.OTHER;
            case "25P02":
                return SqlErrorCause.TRANSACTION_ABORTED;
            case "23505":
                return sequenceBehindLikely(message, detail, constraint) ? SqlErrorCause.SEQUENCE_BEHIND
                        : SqlErrorCause.DUPLICATE_KEY;
            case "42P01", "42703":
                return SqlErrorCause.SCHEMA_BEHIND_CODE;
            default:
                break;
        }
        if (isConnectionState(state)) {
            return SqlErrorCause.CONNECTION;
        }
        if (m.contains("could not extend file") || m.contains("no space left on device")) {
            return SqlErrorCause.DISK_FULL;
        }
        return SqlErrorCause.OTHER;
    }

    /**
     * A duplicate is likely a sequence behind its data only when the constraint is a primary key (by the naming
     * conventions: PostgreSQL's {@code _pkey}, or {@code pk_}) and the duplicate key is one integer column.
     */
    private static boolean sequenceBehindLikely(String message, String detail, String constraint) {
        String name = constraint;
        if (name == null) {
            Matcher m = UNIQUE_CONSTRAINT.matcher(message);
            name = m.find() ? m.group(1) : "";
        }
        return PRIMARY_KEY_NAME.matcher(name).matches() && DUPLICATE_INTEGER_KEY.matcher(detail).find();
    }

    private static boolean isConnectionState(String state) {
        return state.startsWith("08") || state.startsWith("28") || CONNECTION_STATES.contains(state);
    }

    private static SqlErrorDiagnosis connection(ConnectionDiagnosis connection, String detail) {
        ConnectionFailure failure = connection.cause();
        boolean pool = failure == ConnectionFailure.POOL_EXHAUSTED;
        boolean passes = failure == ConnectionFailure.SERVER_STARTING_OR_RECOVERING
                || failure == ConnectionFailure.CONNECTION_LOST;
        Parsed parsed = parse(connection.driverMessage());
        return new SqlErrorDiagnosis(SqlErrorCause.CONNECTION, connection.sqlState(), MASKER.mask(parsed.message()),
                MASKER.mask(detail.isEmpty() ? parsed.detail() : detail),
                sentence("Connection failure (" + failure.name() + "): " + failure.meaning()),
                ConnectionFailureClassifier.remediation(connection, null, null)
                        + (pool ? " The pool-saturation check shows the holders." : " The connectivity check tries a"
                        + " new connection and says the same."),
                pool ? RunbookSection.POOL_EXHAUSTED : RunbookSection.CANNOT_CONNECT,
                Optional.of(pool ? "pool-saturation" : "connectivity"), passes);
    }

    private static SqlErrorDiagnosis diagnosis(SqlErrorCause cause, String state, String message, String detail,
                                               String meaning, String fix) {
        String said = meaning != null ? meaning
                : cause.meaning() + (state.isEmpty() ? "" : " (SQLSTATE " + state + ")");
        return new SqlErrorDiagnosis(cause, state, MASKER.mask(message), MASKER.mask(detail), sentence(said),
                fix != null ? fix : cause.fix(), cause.runbookSection(), cause.relatedCheck(), cause.retryable());
    }

    private static String other(String state) {
        if (state.isEmpty()) {
            return "The error carries no SQLSTATE: it is not an error from PostgreSQL, or the driver did not pass one on";
        }
        String name = CLASSES.get(state.substring(0, 2));
        return "SQLSTATE " + state + " is in class " + state.substring(0, 2)
                + (name == null ? "" : " (" + name + ")") + ", for which the runbook has no entry";
    }

    private static String sentence(String clause) {
        String s = clause.isEmpty() ? clause : Character.toUpperCase(clause.charAt(0)) + clause.substring(1);
        return s.endsWith(".") ? s : s + ".";
    }

    /** The message, its DETAIL and an SQLSTATE read from pgjdbc's exception text or a log line. */
    private record Parsed(String message, String detail, String sqlState) {
    }

    private static Parsed parse(String text) {
        String rest = text;
        String state = "";
        Matcher st = SQLSTATE.matcher(rest);
        if (st.find()) {
            state = st.group(1).toUpperCase(Locale.ROOT);
            rest = rest.substring(0, st.start()) + rest.substring(st.end());
        }
        Matcher severity = SEVERITY.matcher(rest);
        if (severity.find()) {
            rest = rest.substring(severity.end());
        }
        String detail = "";
        Matcher field = FIELD.matcher(rest);
        if (field.find()) {
            String message = rest.substring(0, field.start());
            int from = field.end();
            boolean isDetail = field.group(1).equalsIgnoreCase("detail");
            String after = field.find() ? rest.substring(from, field.start()) : rest.substring(from);
            detail = isDetail ? after.trim() : "";
            rest = message;
        }
        return new Parsed(rest.trim(), detail, state);
    }

    private static List<Throwable> chain(Throwable error) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Throwable> all = new ArrayList<>();
        walk(error, seen, all);
        return all;
    }

    private static void walk(Throwable error, Set<Throwable> seen, List<Throwable> all) {
        for (Throwable t = error; t != null && seen.add(t); t = t.getCause()) {
            all.add(t);
            if (t instanceof SQLException sql) {
                // a batch's BatchUpdateException names the failed entry's error as its next exception
                for (SQLException next = sql.getNextException(); next != null && !seen.contains(next);
                     next = next.getNextException()) {
                    walk(next, seen, all);
                }
            }
        }
    }

    /** The error from the server when one is in the chain, else the first with an SQLSTATE, else the first. */
    private static SQLException postgresError(List<Throwable> chain) {
        List<SQLException> sql = chain.stream().filter(SQLException.class::isInstance).map(SQLException.class::cast)
                .toList();
        return sql.stream().filter(e -> e instanceof PSQLException p && p.getServerErrorMessage() != null).findFirst()
                .or(() -> sql.stream().filter(e -> e.getSQLState() != null && !e.getSQLState().isBlank()).findFirst())
                .or(() -> sql.stream().findFirst())
                .orElse(null);
    }

    private static Map.Entry<Pattern, String> infer(String regex, String state) {
        return Map.entry(Pattern.compile(regex, Pattern.CASE_INSENSITIVE), state);
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
