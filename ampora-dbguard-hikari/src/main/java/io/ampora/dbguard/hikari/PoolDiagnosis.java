package io.ampora.dbguard.hikari;

import java.util.List;
import java.util.Objects;

/**
 * Why a pool was exhausted: the cause, the evidence behind it and what to do.
 *
 * @param cause       the runbook cause
 * @param summary     one sentence with the key numbers
 * @param evidence    one line per piece of evidence (a lease, a query, a borrow site, an arithmetic)
 * @param remediation what to do
 */
public record PoolDiagnosis(ExhaustionCause cause, String summary, List<String> evidence, String remediation) {

    /** Validates and freezes. */
    public PoolDiagnosis {
        Objects.requireNonNull(cause, "cause");
        summary = summary == null ? "" : summary;
        evidence = List.copyOf(evidence == null ? List.of() : evidence);
        remediation = remediation == null ? cause.remediation() : remediation;
    }

    /**
     * The diagnosis as a readable paragraph: cause, summary, evidence lines and remediation.
     *
     * @return the message
     */
    public String message() {
        StringBuilder m = new StringBuilder(cause.name()).append(": ").append(summary);
        for (String line : evidence) {
            m.append("\n  - ").append(line);
        }
        return m.append("\nFix: ").append(remediation).toString();
    }
}
