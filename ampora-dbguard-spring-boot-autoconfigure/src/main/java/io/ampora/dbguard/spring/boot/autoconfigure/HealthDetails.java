package io.ampora.dbguard.spring.boot.autoconfigure;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.monitor.DbGuardMonitor;
import io.ampora.dbguard.monitor.ProbeResult;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code dbguard} contributor's answer, independent of Boot's health API (which Boot 4 moved): the
 * monitor's cached readiness, each check's status and summary, and the reason when DOWN.
 */
final class HealthDetails {

    private HealthDetails() {
    }

    /**
     * @param monitor the running monitor; read from memory, no database session
     * @return its readiness answer, the same object until the monitor's next run
     */
    static ProbeResult readiness(DbGuardMonitor monitor) {
        return monitor.probe(Probe.READINESS);
    }

    /**
     * @param readiness the monitor's readiness answer
     * @return whether readiness is UP, and the details
     */
    static Answer of(ProbeResult readiness) {
        Map<String, Object> details = new LinkedHashMap<>();
        if (!readiness.up()) {
            details.put("reason", readiness.reason());
        }
        Map<String, Object> checks = new LinkedHashMap<>();
        for (CheckResult r : readiness.results()) {
            Map<String, Object> check = new LinkedHashMap<>();
            check.put("status", r.status().name());
            check.put("summary", r.summary());
            checks.put(r.checkId(), check);
        }
        details.put("checks", checks);
        return new Answer(readiness.up(), details);
    }

    /**
     * @param up      readiness UP
     * @param details what the contributor shows
     */
    record Answer(boolean up, Map<String, Object> details) {
    }

    /**
     * The health object built for one readiness answer: a probe between two monitor runs returns the same
     * (immutable) health object instead of building the details again.
     *
     * @param readiness the answer it was built from (compared by identity)
     * @param health    Boot's health object
     */
    private record Built(ProbeResult readiness, Object health) {
    }

    /**
     * Builds Boot's health object from an answer (Boot 4's API directly, Boot 3's by reflection).
     *
     * @param <E> what building may throw
     */
    @FunctionalInterface
    interface HealthBuilder<E extends Exception> {
        Object build(Answer answer) throws E;
    }

    /**
     * The contributor's last health object, built again only when the monitor's readiness answer changed (the
     * monitor keeps the same answer object until its next run): one per contributor, for Boot 4 and Boot 3 alike.
     */
    static final class LastHealth {
        private volatile Built last;

        /**
         * @param monitor the running monitor
         * @param builder builds Boot's health object when the answer changed
         * @param <E>     what building may throw
         * @return the health object for the monitor's current readiness answer
         * @throws E when building fails
         */
        <E extends Exception> Object get(DbGuardMonitor monitor, HealthBuilder<E> builder) throws E {
            ProbeResult readiness = readiness(monitor);
            Built built = last;
            if (built != null && built.readiness() == readiness) {
                return built.health(); // nothing changed since the monitor's last run: no details built, no reflection
            }
            Object health = builder.build(of(readiness));
            last = new Built(readiness, health);
            return health;
        }
    }
}
