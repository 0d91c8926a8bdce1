package io.ampora.dbguard.examples.doctor;

import io.ampora.dbguard.diagnosis.SqlErrorDiagnosis;
import io.ampora.dbguard.diagnosis.SqlErrors;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code doctor explain}: explains an SQL error the application met, from its SQLSTATE and message or from a
 * pasted log line, with {@link SqlErrors}: the cause, what it means, the fix, the check that shows the evidence,
 * the runbook section and whether to retry. Needs no database.
 */
@Command(name = "explain", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Explains an SQL error: cause, meaning, fix, related check, runbook section, retryable.",
        footer = {"", "Examples:",
            "  explain --sqlstate 40P01 --message \"deadlock detected\"",
            "  explain \"ERROR: canceling statement due to conflict with recovery\"",
            "  explain \"org.postgresql.util.PSQLException: ERROR: could not serialize access ... (SQLState: 40001)\"",
            "", "Exit codes: 0 explained, 2 usage error."})
public final class ExplainCommand implements Callable<Integer> {

    /** A line that names its SQLSTATE itself ("SQLSTATE 40001", "(SQLState: 40001)"). */
    private static final Pattern NAMES_SQLSTATE = Pattern.compile("(?i)\\bsql\\s?state\\b");

    @Option(names = "--sqlstate", paramLabel = "CODE", description = "The SQLSTATE, e.g. 40P01.")
    String sqlState;

    @Option(names = "--message", paramLabel = "TEXT", description = "The server's message, e.g. \"deadlock detected\".")
    String message;

    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text",
            description = "Output format: text for people (default), json for tools.")
    Doctor.Format format;

    @Parameters(paramLabel = "LOG-LINE", arity = "0..*",
            description = "A pasted log line or exception text: an optional prefix up to ERROR:/FATAL:, the message,"
                    + " and an SQLSTATE if the line has one (SQLSTATE 40001, (SQLState: 40001)).")
    List<String> line = new ArrayList<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        String pasted = String.join(" ", line).trim();
        if (pasted.isEmpty() && message == null && sqlState == null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "Give the error: --sqlstate CODE and/or --message TEXT, or a pasted log line");
        }
        if (!pasted.isEmpty() && message != null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "Give either --message or a pasted log line, not both");
        }
        String text = message != null ? message : pasted;
        SqlErrorDiagnosis diagnosis;
        try {
            diagnosis = SqlErrors.explain(sqlState, text);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--sqlstate: " + e.getMessage());
        }
        if (format == Doctor.Format.json) {
            out.print(diagnosis.toJson());
        } else {
            boolean inferred = (sqlState == null || sqlState.isBlank()) && !diagnosis.sqlState().isEmpty()
                    && !NAMES_SQLSTATE.matcher(text).find();
            out.print(diagnosis.toText());
            if (inferred) {
                out.println("(SQLSTATE " + diagnosis.sqlState() + " inferred from the message)");
            }
        }
        out.flush();
        return 0;
    }
}
