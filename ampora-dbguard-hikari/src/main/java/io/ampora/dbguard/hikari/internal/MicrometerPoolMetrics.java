package io.ampora.dbguard.hikari.internal;

import io.ampora.dbguard.hikari.ExhaustionCause;
import io.ampora.dbguard.hikari.LeakReport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;

/**
 * Micrometer metrics of the pool guard, beside HikariCP's own {@code hikaricp.*} (same {@code pool} tag):
 * {@code ampora.dbguard.pool.leaks{kind}}, {@code ampora.dbguard.pool.exhaustions{cause}},
 * {@code ampora.dbguard.pool.lease.oldest} (seconds) and {@code ampora.dbguard.pool.hold} (timer).
 * Loaded only when Micrometer is on the classpath.
 */
final class MicrometerPoolMetrics implements PoolMetrics {

    private final Map<LeakReport.Kind, Counter> leaks = new EnumMap<>(LeakReport.Kind.class);
    private final Map<ExhaustionCause, Counter> exhaustions = new EnumMap<>(ExhaustionCause.class);
    private final Timer hold;

    private MicrometerPoolMetrics(MeterRegistry registry, String pool, DoubleSupplier oldest) {
        for (LeakReport.Kind kind : LeakReport.Kind.values()) {
            leaks.put(kind, Counter.builder("ampora.dbguard.pool.leaks").tag("pool", pool)
                    .tag("kind", kind.name().toLowerCase(Locale.ROOT))
                    .description("Connections held past the leak threshold, returned after it, or never closed")
                    .register(registry));
        }
        for (ExhaustionCause cause : ExhaustionCause.values()) {
            exhaustions.put(cause, Counter.builder("ampora.dbguard.pool.exhaustions").tag("pool", pool)
                    .tag("cause", cause.name().toLowerCase(Locale.ROOT))
                    .description("Borrow timeouts by diagnosed cause").register(registry));
        }
        Gauge.builder("ampora.dbguard.pool.lease.oldest", oldest::getAsDouble).tag("pool", pool).baseUnit("seconds")
                .description("Age of the oldest borrowed connection").register(registry);
        hold = Timer.builder("ampora.dbguard.pool.hold").tag("pool", pool)
                .description("How long connections are held, borrow to close").register(registry);
    }

    static PoolMetrics bindIfRegistry(Object registry, String pool, DoubleSupplier oldest) {
        return registry instanceof MeterRegistry r ? new MicrometerPoolMetrics(r, pool, oldest) : PoolMetrics.NONE;
    }

    @Override
    public void leak(LeakReport.Kind kind) {
        leaks.get(kind).increment();
    }

    @Override
    public void exhausted(ExhaustionCause cause) {
        exhaustions.get(cause).increment();
    }

    @Override
    public boolean recordsHold() {
        return true;
    }

    @Override
    public void hold(long nanos) {
        hold.record(nanos, TimeUnit.NANOSECONDS);
    }
}
