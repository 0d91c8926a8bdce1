package io.ampora.dbguard.examples.demo;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.internal.SettingValues;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.report.TextReportRenderer;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code doctor demo}: reproduces runbook failures for real on an embedded PostgreSQL and prints the
 * doctor's diagnosis of each. {@code --all} ends with a table of scenario, expected check and status
 * seen, and exits 0 only when every scenario was diagnosed by the check that should catch it.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Breaks an embedded PostgreSQL on purpose, one runbook failure at a time, and shows the diagnosis.")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--scenario", paramLabel = "NAME", description = "Run one scenario (see --list).")
    String scenario;

    @Option(names = "--list", description = "List the scenarios with their runbook section.")
    boolean list;

    @Option(names = "--all", description = "Run every scenario and print a summary table.")
    boolean all;

    @Option(names = "--full", description = "Print every check of each report, not only the ones that found something.")
    boolean full;

    @Option(names = "--serve", description = "Run the demo service (HTTP API with tenant filter, /health, /metrics) until stopped.")
    boolean serve;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080", description = "Port of --serve (default: ${DEFAULT-VALUE}).")
    int port;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (serve) {
            err.println("Starting an embedded PostgreSQL and the demo service...");
            err.flush();
            io.ampora.dbguard.examples.app.DemoApplication.main(new String[] {Integer.toString(port)});
            return 0;
        }
        if (list || (scenario == null && !all)) {
            for (Scenario s : Scenarios.all()) {
                out.printf("%-25s %-34s %s%n", s.name(), shortLabel(s), s.description());
            }
            out.flush();
            return scenario == null && !all && !list ? 2 : 0;
        }
        List<Scenario> selected;
        if (all) {
            selected = Scenarios.all();
        } else {
            selected = List.of(Scenarios.named(scenario).orElseThrow(() -> new CommandLine.ParameterException(
                    spec.commandLine(), "Unknown scenario '" + scenario + "'; valid: "
                    + Scenarios.all().stream().map(Scenario::name).collect(Collectors.joining(", ")))));
        }
        boolean colour = System.console() != null && System.getenv("NO_COLOR") == null;
        err.println("Starting an embedded PostgreSQL for the demo...");
        err.flush();
        List<String[]> rows = new ArrayList<>();
        boolean allDiagnosed = true;
        try (DemoEnvironment env = DemoEnvironment.start()) {
            for (Scenario s : selected) {
                out.println("=== Scenario " + s.name() + " (runbook " + s.runbook().label() + "): " + s.description());
                Report report = s.reproduce(env);
                for (String note : env.takeNotes()) {
                    out.println("  application saw: " + note.replaceAll("\\s*\\R\\s*", " "));
                }
                if (full) {
                    out.print(new TextReportRenderer(colour).render(report));
                } else {
                    String text = new TextReportRenderer(colour).render(findingsOnly(report));
                    int status = text.lastIndexOf("Status: ");
                    out.print(status >= 0 ? text.substring(0, status) : text);
                    out.println(statusLine(report));
                }
                out.println();
                out.flush();
                CheckStatus seen = report.result(s.expectedCheck()).map(CheckResult::status).orElse(null);
                boolean diagnosed = seen == CheckStatus.WARN || seen == CheckStatus.FAIL;
                allDiagnosed &= diagnosed;
                rows.add(new String[] {s.name(), shortLabel(s), s.expectedCheck(),
                    seen == null ? "missing" : seen.name(), diagnosed ? "yes" : "NO"});
            }
        }
        if (all) {
            out.printf("%-25s %-34s %-26s %-8s %s%n", "scenario", "runbook", "expected check", "status", "diagnosed");
            for (String[] r : rows) {
                out.printf("%-25s %-34s %-26s %-8s %s%n", (Object[]) r);
            }
            out.printf("%d of %d scenarios diagnosed by the expected check.%n",
                    rows.stream().filter(r -> r[4].equals("yes")).count(), rows.size());
        }
        out.flush();
        return allDiagnosed ? 0 : 1;
    }

    private static String shortLabel(Scenario s) {
        String label = s.runbook().label();
        return label.length() <= 34 ? label : label.substring(0, 31) + "...";
    }

    /** The checks that found something; "not run" follow-ups of a failed connection and quiet checks are counted instead. */
    private static Report findingsOnly(Report report) {
        List<CheckResult> shown = report.checks().stream().filter(DemoCommand::shown).toList();
        return new Report(report.status(), report.startedAt(), report.duration(), shown, report.serverVersion(),
                report.database());
    }

    private static boolean shown(CheckResult r) {
        return r.status() == CheckStatus.WARN || r.status() == CheckStatus.FAIL
                || (r.status() == CheckStatus.UNKNOWN && !r.summary().startsWith("Not run"));
    }

    private static String statusLine(Report report) {
        java.util.Map<String, Long> shown = counts(report, true);
        java.util.Map<String, Long> quiet = counts(report, false);
        StringBuilder line = new StringBuilder("Status: ").append(report.status()).append(" - ").append(report.checks().size())
                .append(" checks in ").append(SettingValues.format(report.duration()));
        if (!shown.isEmpty()) {
            line.append("; shown: ").append(join(shown));
        }
        if (!quiet.isEmpty()) {
            line.append("; not shown: ").append(join(quiet)).append(" (--full shows every check)");
        }
        return line.toString();
    }

    private static java.util.Map<String, Long> counts(Report report, boolean shown) {
        return report.checks().stream().filter(r -> shown(r) == shown)
                .collect(Collectors.groupingBy(r -> !shown && r.status() == CheckStatus.UNKNOWN ? "not run"
                        : r.status().name().toLowerCase(java.util.Locale.ROOT), java.util.TreeMap::new, Collectors.counting()));
    }

    private static String join(java.util.Map<String, Long> counts) {
        return counts.entrySet().stream().map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", "));
    }
}
