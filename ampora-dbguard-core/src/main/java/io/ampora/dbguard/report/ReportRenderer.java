package io.ampora.dbguard.report;

/** Turns a {@link Report} into text in some format (text for people, JSON for tools). */
@FunctionalInterface
public interface ReportRenderer {

    /**
     * Renders a report.
     *
     * @param report the report
     * @return the rendered text
     */
    String render(Report report);
}
