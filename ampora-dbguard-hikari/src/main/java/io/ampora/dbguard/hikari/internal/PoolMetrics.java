package io.ampora.dbguard.hikari.internal;

import io.ampora.dbguard.hikari.ExhaustionCause;
import io.ampora.dbguard.hikari.LeakReport;
import java.util.function.DoubleSupplier;

/**
 * Where the pool guard publishes its metrics; a no-op unless Micrometer is present and a registry known.
 */
interface PoolMetrics {

    /** The metrics used when Micrometer is absent or no registry is configured. */
    PoolMetrics NONE = new PoolMetrics() {
    };

    /** @param kind the kind of leak report */
    default void leak(LeakReport.Kind kind) {
    }

    /** @param cause the diagnosed cause of an exhaustion */
    default void exhausted(ExhaustionCause cause) {
    }

    /** @return whether {@link #hold(long)} records anything; lets the hot path skip reading the clock */
    default boolean recordsHold() {
        return false;
    }

    /** @param nanos how long a connection was held */
    default void hold(long nanos) {
    }

    /**
     * Picks the metrics for a pool: Micrometer when it is on the classpath and a registry is given or
     * HikariCP's own registry is a Micrometer one.
     *
     * @param registry       the configured registry, or null
     * @param hikariRegistry HikariCP's metricRegistry, or null
     * @param pool           the pool name, tagged as {@code pool} like HikariCP's metrics
     * @param oldestLeaseSeconds the age of the oldest lease
     * @return the metrics
     */
    static PoolMetrics create(Object registry, Object hikariRegistry, String pool, DoubleSupplier oldestLeaseSeconds) {
        Object chosen = registry != null ? registry : hikariRegistry;
        if (chosen == null || !micrometerPresent()) {
            return NONE;
        }
        return MicrometerPoolMetrics.bindIfRegistry(chosen, pool, oldestLeaseSeconds);
    }

    private static boolean micrometerPresent() {
        try {
            Class.forName("io.micrometer.core.instrument.MeterRegistry", false, PoolMetrics.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
