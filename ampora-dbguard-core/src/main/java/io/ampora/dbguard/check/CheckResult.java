package io.ampora.dbguard.check;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * What one check concluded: status, a one-line summary, the findings with their evidence, the runbook
 * section it automates and what to do about it.
 *
 * <p>Checks build results through {@link #builder(DatabaseCheck)} or the shortcuts {@link #pass},
 * {@link #skip} and {@link #unknown}; the runner fills in {@link #duration()}.
 *
 * @param checkId     the id of the check that produced it
 * @param status      the verdict
 * @param summary     one line: what was seen, or why the check was skipped or could not tell
 * @param findings    the evidence, one entry per thing found (empty when all is well)
 * @param runbook     the runbook section the check automates
 * @param remediation what to do, empty when nothing needs doing
 * @param duration    how long the check ran
 */
public record CheckResult(
        String checkId,
        CheckStatus status,
        String summary,
        List<Finding> findings,
        RunbookSection runbook,
        String remediation,
        Duration duration) {

    /** Validates and freezes the result. */
    public CheckResult {
        Objects.requireNonNull(checkId, "checkId");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(runbook, "runbook");
        summary = summary == null ? "" : summary;
        findings = List.copyOf(findings == null ? List.of() : findings);
        remediation = remediation == null ? "" : remediation;
        duration = duration == null ? Duration.ZERO : duration;
    }

    /**
     * Starts a result for a check.
     *
     * @param check the check reporting
     * @return a builder with status {@link CheckStatus#PASS}
     */
    public static Builder builder(DatabaseCheck check) {
        return new Builder(check.id(), check.runbook());
    }

    /**
     * A passing result.
     *
     * @param check   the check reporting
     * @param summary what was seen
     * @return the result
     */
    public static CheckResult pass(DatabaseCheck check, String summary) {
        return builder(check).summary(summary).build();
    }

    /**
     * A result saying the check does not apply here.
     *
     * @param check  the check reporting
     * @param reason why it does not apply, and how to make it apply if the user wants it
     * @return the result
     */
    public static CheckResult skip(DatabaseCheck check, String reason) {
        return builder(check).status(CheckStatus.SKIP).summary(reason).build();
    }

    /**
     * A result saying the check could not tell.
     *
     * @param check  the check reporting
     * @param reason why, and what would let it see (a grant, a setting)
     * @return the result
     */
    public static CheckResult unknown(DatabaseCheck check, String reason) {
        return builder(check).status(CheckStatus.UNKNOWN).summary(reason).build();
    }

    /**
     * Returns a copy with another duration; the runner uses it to record the time a check took.
     *
     * @param ranFor the measured duration
     * @return the copy
     */
    public CheckResult withDuration(Duration ranFor) {
        return new CheckResult(checkId, status, summary, findings, runbook, remediation, ranFor);
    }

    /**
     * Returns a copy with every text passed through a function; the runner uses it to mask secrets.
     *
     * @param text the function applied to summary, remediation, finding messages and string details
     * @return the copy
     */
    public CheckResult mapText(UnaryOperator<String> text) {
        List<Finding> mapped = new ArrayList<>(findings.size());
        for (Finding finding : findings) {
            Finding.Builder builder = Finding.builder(text.apply(finding.message()));
            finding.details().forEach((key, value) ->
                    builder.detail(key, value instanceof String s ? text.apply(s) : value));
            mapped.add(builder.build());
        }
        return new CheckResult(checkId, status, text.apply(summary), mapped, runbook, text.apply(remediation), duration);
    }

    /** Builds a {@link CheckResult}; the status starts at PASS. */
    public static final class Builder {
        private final String checkId;
        private final RunbookSection runbook;
        private CheckStatus status = CheckStatus.PASS;
        private String summary = "";
        private final List<Finding> findings = new ArrayList<>();
        private String remediation = "";

        private Builder(String checkId, RunbookSection runbook) {
            this.checkId = checkId;
            this.runbook = runbook;
        }

        /**
         * Sets the status.
         *
         * @param value the status
         * @return this builder
         */
        public Builder status(CheckStatus value) {
            this.status = Objects.requireNonNull(value, "status");
            return this;
        }

        /**
         * Raises the status to {@code value} if it is worse than the current one.
         *
         * @param value the candidate status
         * @return this builder
         */
        public Builder atLeast(CheckStatus value) {
            this.status = status.worse(value);
            return this;
        }

        /** @return the status set so far */
        public CheckStatus status() {
            return status;
        }

        /**
         * Sets the one-line summary.
         *
         * @param value the summary
         * @return this builder
         */
        public Builder summary(String value) {
            this.summary = value;
            return this;
        }

        /**
         * Adds a finding.
         *
         * @param finding the finding
         * @return this builder
         */
        public Builder finding(Finding finding) {
            findings.add(Objects.requireNonNull(finding, "finding"));
            return this;
        }

        /**
         * Sets what to do about the findings.
         *
         * @param value the remediation
         * @return this builder
         */
        public Builder remediation(String value) {
            this.remediation = value;
            return this;
        }

        /** @return the result */
        public CheckResult build() {
            return new CheckResult(checkId, status, summary, findings, runbook, remediation, Duration.ZERO);
        }
    }
}
