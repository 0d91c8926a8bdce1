package io.ampora.dbguard.monitor;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A check whose status changed between two runs of the monitor (a steady state is no change). The
 * monitor logs each change once, with the reason, and hands it to its {@link StatusListener}s.
 *
 * @param checkId  the check's id
 * @param previous the status before, empty for the check's first run
 * @param current  the new result, whose summary and findings say why
 * @param at       when the new result was taken
 */
public record StatusChange(String checkId, Optional<CheckStatus> previous, CheckResult current, Instant at) {

    /** Validates. */
    public StatusChange {
        Objects.requireNonNull(checkId, "checkId");
        Objects.requireNonNull(previous, "previous");
        Objects.requireNonNull(current, "current");
        Objects.requireNonNull(at, "at");
    }

    /** @return the new status */
    public CheckStatus status() {
        return current.status();
    }
}
