package io.ampora.dbguard.check;

import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;

/**
 * How the report's first connection to a server went: the runner makes it once, before the checks,
 * and hands it to every check so that {@code connectivity} can diagnose a failure and the others know
 * not to try.
 *
 * @param target   the server tried
 * @param duration how long connecting (and reading the server facts) took
 * @param facts    the server facts when the connection succeeded
 * @param error    the driver's exception when it failed (messages are not yet masked)
 * @param timedOut whether the attempt was abandoned because it exceeded its time budget
 */
public record ConnectionAttempt(
        Target target, Duration duration, Optional<ServerFacts> facts, Optional<SQLException> error, boolean timedOut) {

    /** @return whether a session could be opened */
    public boolean succeeded() {
        return facts.isPresent();
    }
}
