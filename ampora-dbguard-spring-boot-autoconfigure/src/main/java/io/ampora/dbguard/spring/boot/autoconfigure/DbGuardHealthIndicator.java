package io.ampora.dbguard.spring.boot.autoconfigure;

import io.ampora.dbguard.monitor.DbGuardMonitor;
import java.util.function.Supplier;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The {@code dbguard} health contributor (Boot 4): the monitor's last readiness verdict, read from memory.
 * A probe never opens a database session and never waits for a check. Details: each check's status and
 * summary, and the reason when DOWN. It belongs in the readiness group (the starter adds it), never in
 * liveness: an outage must take the instance out of the load balancer, not restart it in a loop.
 * On Boot 3 the same answer is given by {@link Boot3Adapters}.
 */
public final class DbGuardHealthIndicator implements HealthIndicator {

    private final Supplier<DbGuardMonitor> monitor;
    private final HealthDetails.LastHealth last = new HealthDetails.LastHealth();

    /** @param monitor the running monitor */
    public DbGuardHealthIndicator(DbGuardMonitor monitor) {
        this.monitor = () -> monitor;
    }

    /**
     * @param monitor the monitor, resolved at the first probe: the starter's monitor bean is lazy, started once the
     *                context refreshed (see {@link DbGuardStartup})
     */
    DbGuardHealthIndicator(Supplier<DbGuardMonitor> monitor) {
        this.monitor = monitor;
    }

    @Override
    public Health health() {
        return (Health) last.get(monitor.get(),
                answer -> (answer.up() ? Health.up() : Health.down()).withDetails(answer.details()).build());
    }
}
