package io.ampora.dbguard.monitor;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.Probe;
import java.util.List;
import java.util.Objects;

/**
 * The answer to one health probe, taken from the monitor's last results without touching the database.
 *
 * @param probe   the probe asked
 * @param up      whether it is UP: no check affecting it failed (WARN is UP; UNKNOWN is DOWN only when
 *                the guard counts UNKNOWN as failure)
 * @param reason  one line: why it is DOWN, or what it is based on
 * @param results the last result of every check affecting the probe, in report order
 * @param down    the ids of the checks that make it DOWN
 */
public record ProbeResult(Probe probe, boolean up, String reason, List<CheckResult> results, List<String> down) {

    /** Validates and freezes. */
    public ProbeResult {
        Objects.requireNonNull(probe, "probe");
        reason = reason == null ? "" : reason;
        results = List.copyOf(results);
        down = List.copyOf(down);
    }
}
