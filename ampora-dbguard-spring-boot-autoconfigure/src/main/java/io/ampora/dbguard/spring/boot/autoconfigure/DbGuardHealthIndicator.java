package io.ampora.dbguard.spring.boot.autoconfigure;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.monitor.DbGuardMonitor;
import io.ampora.dbguard.monitor.ProbeResult;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The {@code dbguard} health contributor (Boot 4): the monitor's last readiness verdict, read from memory.
 * A probe never opens a database session and never waits for a check. Details: each check's status and
 * summary, and the reason when DOWN. It belongs in the readiness group (the starter adds it), never in
 * liveness: an outage must take the instance out of the load balancer, not restart it in a loop.
 */
public final class DbGuardHealthIndicator implements HealthIndicator {

    private final DbGuardMonitor monitor;

    /** @param monitor the running monitor */
    public DbGuardHealthIndicator(DbGuardMonitor monitor) {
        this.monitor = monitor;
    }

    @Override
    public Health health() {
        ProbeResult readiness = monitor.probe(Probe.READINESS);
        Health.Builder health = readiness.up() ? Health.up() : Health.down().withDetail("reason", readiness.reason());
        Map<String, Object> checks = new LinkedHashMap<>();
        for (CheckResult r : readiness.results()) {
            Map<String, Object> check = new LinkedHashMap<>();
            check.put("status", r.status().name());
            check.put("summary", r.summary());
            checks.put(r.checkId(), check);
        }
        return health.withDetail("checks", checks).build();
    }
}
