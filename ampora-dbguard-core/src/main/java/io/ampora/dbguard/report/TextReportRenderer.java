package io.ampora.dbguard.report;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.internal.SettingValues;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Renders a report for a person in a terminal: grouped by runbook section, one aligned line per check,
 * the evidence indented under each finding and the fix last, then a summary line.
 *
 * <p>With colour on (a terminal), statuses are coloured; off, the output is plain text fit for logs and
 * files. Very long values (a query text, a stack) are shortened to keep the report readable; the JSON
 * format keeps them whole.
 */
public final class TextReportRenderer implements ReportRenderer {

    private static final int MAX_VALUE = 200;

    private final boolean colour;

    /**
     * @param colour whether to use ANSI colours (only when writing to a terminal)
     */
    public TextReportRenderer(boolean colour) {
        this.colour = colour;
    }

    @Override
    public String render(Report report) {
        StringBuilder out = new StringBuilder();
        out.append("Ampora DbGuard report");
        if (!report.serverVersion().isEmpty()) {
            out.append(" - PostgreSQL ").append(report.serverVersion());
        }
        if (!report.database().isEmpty()) {
            out.append(" at ").append(report.database());
        }
        out.append('\n');
        int idWidth = report.checks().stream().mapToInt(r -> r.checkId().length()).max().orElse(10);
        Map<RunbookSection, List<CheckResult>> bySection = new TreeMap<>(report.checks().stream()
                .collect(Collectors.groupingBy(CheckResult::runbook)));
        for (Map.Entry<RunbookSection, List<CheckResult>> section : bySection.entrySet()) {
            out.append('\n').append(section.getKey().label()).append('\n');
            for (CheckResult r : section.getValue()) {
                appendCheck(out, r, idWidth);
            }
        }
        out.append('\n').append(summaryLine(report)).append('\n');
        return out.toString();
    }

    private void appendCheck(StringBuilder out, CheckResult r, int idWidth) {
        out.append("  ").append(status(r.status())).append("  ")
                .append(pad(r.checkId(), idWidth)).append("  ")
                .append(shorten(r.summary(), 400)).append('\n');
        boolean quiet = r.status() == CheckStatus.PASS || r.status() == CheckStatus.SKIP;
        for (Finding f : r.findings()) {
            out.append("        - ").append(indentLines(f.message(), "          ")).append('\n');
            if (quiet) {
                continue;
            }
            f.details().forEach((key, value) -> out.append("            ").append(key).append(": ")
                    .append(indentLines(shorten(String.valueOf(value), MAX_VALUE), "              ")).append('\n'));
        }
        if (!r.remediation().isEmpty() && r.status() != CheckStatus.PASS && r.status() != CheckStatus.SKIP) {
            out.append("        fix: ").append(indentLines(r.remediation(), "             ")).append('\n');
        }
    }

    private String summaryLine(Report report) {
        Map<CheckStatus, Integer> counts = new EnumMap<>(CheckStatus.class);
        report.checks().forEach(r -> counts.merge(r.status(), 1, Integer::sum));
        String parts = counts.entrySet().stream()
                .map(e -> e.getValue() + " " + e.getKey().name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(", "));
        return "Status: " + status(report.status()).trim() + " - " + report.checks().size() + " checks in "
                + SettingValues.format(report.duration()) + " (" + parts + ")";
    }

    private String status(CheckStatus s) {
        String text = pad(s.name(), 7);
        if (!colour) {
            return text;
        }
        String code = switch (s) {
            case PASS -> "32";
            case WARN -> "33";
            case FAIL -> "1;31";
            case UNKNOWN -> "35";
            case SKIP -> "2";
        };
        String symbol = switch (s) {
            case PASS -> "\u2714";
            case WARN -> "\u25B2";
            case FAIL -> "\u2716";
            case UNKNOWN -> "?";
            case SKIP -> "-";
        };
        return "\u001B[" + code + "m" + symbol + " " + text + "\u001B[0m";
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }

    private static String indentLines(String s, String indent) {
        return s.replace("\n", "\n" + indent);
    }

    private static String shorten(String s, int max) {
        String oneLine = s.length() > max ? s.replaceAll("\\s+", " ") : s;
        return oneLine.length() <= max ? oneLine : oneLine.substring(0, max - 3) + "...";
    }
}
