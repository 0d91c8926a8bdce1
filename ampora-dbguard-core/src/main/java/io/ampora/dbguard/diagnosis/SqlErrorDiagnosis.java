package io.ampora.dbguard.diagnosis;

import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.internal.JsonWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An explained SQL error: the cause, the server's own words and what to do. Built by {@link SqlErrors}; log
 * it, show it on an error page for operators, or let {@link #retryable()} decide whether to run the
 * transaction again.
 *
 * @param cause          the runbook cause
 * @param sqlState       the SQLSTATE, empty when there was none
 * @param message        the server's (or driver's) message, with secrets masked
 * @param detail         the server's DETAIL (the key of a duplicate, the processes of a deadlock), masked; empty
 *                       when there was none
 * @param meaning        what the error means, one sentence
 * @param fix            what to do, naming the check that shows the evidence where one does
 * @param runbookSection the runbook section that covers it
 * @param relatedCheck   the id of the Ampora check that shows the evidence, empty when none does
 * @param retryable      whether retrying the transaction as it is (on a new connection where the session ended)
 *                       is the right reaction
 */
public record SqlErrorDiagnosis(SqlErrorCause cause, String sqlState, String message, String detail, String meaning,
                                String fix, RunbookSection runbookSection, Optional<String> relatedCheck,
                                boolean retryable) {

    /** Replaces nulls with empty values; cause and section are required. */
    public SqlErrorDiagnosis {
        Objects.requireNonNull(cause, "cause");
        Objects.requireNonNull(runbookSection, "runbookSection");
        sqlState = sqlState == null ? "" : sqlState;
        message = message == null ? "" : message;
        detail = detail == null ? "" : detail;
        meaning = meaning == null ? "" : meaning;
        fix = fix == null ? "" : fix;
        relatedCheck = relatedCheck == null ? Optional.empty() : relatedCheck;
    }

    /** @return the diagnosis for people, one field a line */
    public String toText() {
        StringBuilder out = new StringBuilder();
        line(out, "cause", cause.name());
        line(out, "SQLSTATE", sqlState.isEmpty() ? "none" : sqlState);
        line(out, "message", message);
        if (!detail.isEmpty()) {
            line(out, "detail", detail);
        }
        line(out, "meaning", meaning);
        line(out, "fix", fix);
        line(out, "related check", relatedCheck.orElse("none"));
        line(out, "runbook", runbookSection.label());
        line(out, "retryable", retryable ? "yes: retry the whole transaction" : "no: retrying as it is fails again");
        return out.toString();
    }

    /** @return the diagnosis as a JSON object with the record's field names (relatedCheck null when none) */
    public String toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("cause", cause.name());
        json.put("sqlState", sqlState);
        json.put("message", message);
        json.put("detail", detail);
        json.put("meaning", meaning);
        json.put("fix", fix);
        json.put("relatedCheck", relatedCheck.orElse(null));
        json.put("runbookSection", runbookSection.number());
        json.put("runbook", runbookSection.label());
        json.put("retryable", retryable);
        return JsonWriter.write(json);
    }

    private static void line(StringBuilder out, String name, String value) {
        out.append(String.format("%-14s %s%n", name + ":", value));
    }
}
