package io.ampora.dbguard.report;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.internal.JsonWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a report as JSON, the format tools around the library rely on:
 *
 * <pre>{@code
 * {"status": "WARN", "startedAt": "...", "durationMs": 42, "serverVersion": "17.6", "database": "jdbc:postgresql://...",
 *  "checks": [{"id": "tls", "status": "WARN", "summary": "...", "runbook": "1. Cannot connect",
 *              "runbookSection": 1, "remediation": "...", "durationMs": 3,
 *              "findings": [{"message": "...", "details": {"sslmode": "prefer"}}]}]}
 * }</pre>
 *
 * <p>The keys {@code status}, {@code checks}, {@code id}, {@code summary}, {@code runbook},
 * {@code remediation}, {@code findings}, {@code message} and {@code details} are a contract: never
 * renamed, only added to.
 */
public final class JsonReportRenderer implements ReportRenderer {

    @Override
    public String render(Report report) {
        return JsonWriter.write(toMap(report));
    }

    /**
     * The report as nested maps and lists, ready for any JSON library or for embedding in another document.
     *
     * @param report the report
     * @return the tree
     */
    public static Map<String, Object> toMap(Report report) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("status", report.status().name());
        root.put("startedAt", report.startedAt().toString());
        root.put("durationMs", report.duration().toMillis());
        root.put("serverVersion", report.serverVersion());
        root.put("database", report.database());
        List<Object> checks = new ArrayList<>();
        for (CheckResult r : report.checks()) {
            checks.add(toMap(r));
        }
        root.put("checks", checks);
        return root;
    }

    /**
     * One check's result as a map.
     *
     * @param r the result
     * @return the tree
     */
    public static Map<String, Object> toMap(CheckResult r) {
        Map<String, Object> check = new LinkedHashMap<>();
        check.put("id", r.checkId());
        check.put("status", r.status().name());
        check.put("summary", r.summary());
        check.put("runbook", r.runbook().label());
        check.put("runbookSection", r.runbook().number());
        check.put("remediation", r.remediation());
        check.put("durationMs", r.duration().toMillis());
        List<Object> findings = new ArrayList<>();
        for (Finding f : r.findings()) {
            Map<String, Object> finding = new LinkedHashMap<>();
            finding.put("message", f.message());
            finding.put("details", f.details());
            findings.add(finding);
        }
        check.put("findings", findings);
        return check;
    }
}
