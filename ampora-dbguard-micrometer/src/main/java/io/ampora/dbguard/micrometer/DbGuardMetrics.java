package io.ampora.dbguard.micrometer;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.monitor.DbGuardMonitor;
import io.ampora.dbguard.monitor.StatusChange;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Publishes a running {@link DbGuardMonitor} as meters, read from its last results (never from the
 * database):
 * <ul>
 *   <li>{@value #STATUS} tagged {@code check}: the check's status as a number, {@code 0} PASS,
 *       {@code 1} SKIP, {@code 2} WARN, {@code 3} UNKNOWN, {@code 4} FAIL (NaN before its first run);
 *       alert on {@code >= 4}.</li>
 *   <li>{@value #DURATION} tagged {@code check}: how long its last run took, in seconds.</li>
 *   <li>{@value #READY}: 1 when readiness is UP, 0 when DOWN.</li>
 *   <li>{@value #CHANGES} tagged {@code check} and {@code status} (the new one): how many times a check
 *       changed status.</li>
 * </ul>
 *
 * <pre>{@code
 * DbGuardMetrics.bind(monitor, meterRegistry);
 * }</pre>
 */
public final class DbGuardMetrics implements MeterBinder {

    /** The per-check status gauge. */
    public static final String STATUS = "ampora.dbguard.check.status";
    /** The per-check last duration gauge. */
    public static final String DURATION = "ampora.dbguard.check.duration";
    /** The readiness gauge. */
    public static final String READY = "ampora.dbguard.ready";
    /** The status change counter. */
    public static final String CHANGES = "ampora.dbguard.check.status.changes";

    private final DbGuardMonitor monitor;

    /**
     * @param monitor the monitor to publish
     */
    public DbGuardMetrics(DbGuardMonitor monitor) {
        this.monitor = Objects.requireNonNull(monitor, "monitor");
    }

    /**
     * Binds a monitor's meters to a registry.
     *
     * @param monitor  the monitor
     * @param registry the registry
     * @return the binder
     */
    public static DbGuardMetrics bind(DbGuardMonitor monitor, MeterRegistry registry) {
        DbGuardMetrics metrics = new DbGuardMetrics(monitor);
        metrics.bindTo(registry);
        return metrics;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (DatabaseCheck check : monitor.guard().checks()) {
            String id = check.id();
            Gauge.builder(STATUS, monitor, m -> result(m, id).map(r -> (double) r.status().ordinal()).orElse(Double.NaN))
                    .description("Status of a database check: 0 PASS, 1 SKIP, 2 WARN, 3 UNKNOWN, 4 FAIL")
                    .tag("check", id)
                    .register(registry);
            TimeGauge.builder(DURATION, monitor, TimeUnit.NANOSECONDS,
                            m -> result(m, id).map(r -> (double) r.duration().toNanos()).orElse(Double.NaN))
                    .description("How long the database check's last run took")
                    .tag("check", id)
                    .register(registry);
        }
        Gauge.builder(READY, monitor, m -> m.probe(Probe.READINESS).up() ? 1 : 0)
                .description("1 when the database checks let the application serve traffic, 0 when not")
                .register(registry);
        monitor.addListener(change -> count(registry, change));
    }

    private static void count(MeterRegistry registry, StatusChange change) {
        if (change.previous().isEmpty()) {
            return;
        }
        Counter.builder(CHANGES)
                .description("Times a database check changed status, by the status it changed to")
                .tag("check", change.checkId())
                .tag("status", change.status().name())
                .register(registry)
                .increment();
    }

    private static Optional<CheckResult> result(DbGuardMonitor monitor, String id) {
        return monitor.lastReport().flatMap(r -> r.result(id));
    }

    /**
     * The number a status is published as.
     *
     * @param status the status
     * @return 0 for PASS up to 4 for FAIL
     */
    public static int value(CheckStatus status) {
        return status.ordinal();
    }
}
