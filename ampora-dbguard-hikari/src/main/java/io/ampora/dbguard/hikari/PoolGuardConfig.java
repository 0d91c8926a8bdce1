package io.ampora.dbguard.hikari;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * How a {@link GuardedPool} watches its leases, immutable; built with {@link #custom()} and validated
 * at {@link Builder#build()}, which names the wrong setting and what is allowed.
 *
 * <pre>{@code
 * PoolGuardConfig config = PoolGuardConfig.custom()
 *         .leakThreshold(Duration.ofSeconds(30))
 *         .instances(5)
 *         .build();
 * }</pre>
 *
 * @param leakThreshold       how long a connection may be held before it is reported; may be below
 *                            HikariCP's 2 second floor
 * @param sampleEvery         capture the borrow-site stack on 1 borrow in this many (1 = every borrow), at most
 *                            one per lease record (a borrowing thread's) per tracker tick (at most 50 ms): a
 *                            stack costs microseconds, and at millions of borrows a second 1 in 256 would be tens
 *                            of thousands of them; every borrow is captured anyway once the pool runs hot or a
 *                            leak was seen.
 *                            A captured (fully tracked) borrow is also watched for being dropped without
 *                            {@code close()} ({@link LeakReport.Kind#UNCLOSED}); an unsampled one that is never
 *                            closed is reported as {@link LeakReport.Kind#HELD_TOO_LONG} after
 *                            {@code leakThreshold}, which turns full tracking on for every later borrow
 * @param hotPercent          the share of maximumPoolSize in use from which every borrow is captured
 * @param instances           how many instances of the application run this pool against the same server
 * @param diagnosisTimeout    the connect and statement timeout of diagnosis queries
 * @param diagnosisDataSource a non-pooled DataSource for diagnosis queries; null to build one from
 *                            HikariCP's jdbcUrl, user and password
 * @param listeners           notified of leaks and exhaustion
 * @param meterRegistry       a Micrometer {@code MeterRegistry} to publish to, or null to use HikariCP's
 *                            own registry when it is a Micrometer one (typed Object so that Micrometer stays optional)
 * @param maxFrames           the most application frames kept per stack
 * @param reclaimUnclosed     whether a connection that became unreachable without close() is rolled back and
 *                            returned to HikariCP (see {@link Builder#reclaimUnclosed(boolean)}); on, every
 *                            borrow is fully tracked
 */
public record PoolGuardConfig(Duration leakThreshold, int sampleEvery, double hotPercent, int instances,
                              Duration diagnosisTimeout, DataSource diagnosisDataSource,
                              List<PoolListener> listeners, Object meterRegistry, int maxFrames,
                              boolean reclaimUnclosed) {

    /** Freezes the listeners. */
    public PoolGuardConfig {
        listeners = List.copyOf(listeners);
    }

    /**
     * The configuration without reclaiming unclosed connections, as before {@code reclaimUnclosed} existed.
     *
     * @param leakThreshold       see the record components
     * @param sampleEvery         see the record components
     * @param hotPercent          see the record components
     * @param instances           see the record components
     * @param diagnosisTimeout    see the record components
     * @param diagnosisDataSource see the record components
     * @param listeners           see the record components
     * @param meterRegistry       see the record components
     * @param maxFrames           see the record components
     */
    public PoolGuardConfig(Duration leakThreshold, int sampleEvery, double hotPercent, int instances,
                           Duration diagnosisTimeout, DataSource diagnosisDataSource,
                           List<PoolListener> listeners, Object meterRegistry, int maxFrames) {
        this(leakThreshold, sampleEvery, hotPercent, instances, diagnosisTimeout, diagnosisDataSource, listeners,
                meterRegistry, maxFrames, false);
    }

    /** @return a builder with the defaults */
    public static Builder custom() {
        return new Builder();
    }

    /** @return the default configuration */
    public static PoolGuardConfig defaults() {
        return custom().build();
    }

    /** Builds a {@link PoolGuardConfig}. */
    public static final class Builder {
        private Duration leakThreshold = Duration.ofSeconds(30);
        private int sampleEvery = 256;
        private double hotPercent = 80;
        private int instances = 1;
        private Duration diagnosisTimeout = Duration.ofSeconds(2);
        private DataSource diagnosisDataSource;
        private final List<PoolListener> listeners = new ArrayList<>();
        private Object meterRegistry;
        private int maxFrames = 20;
        private boolean reclaimUnclosed;

        private Builder() {
        }

        /**
         * @param value how long a connection may be held before it is reported (default 30s; 10ms or more)
         * @return this builder
         */
        public Builder leakThreshold(Duration value) {
            this.leakThreshold = value;
            return this;
        }

        /**
         * Captures the borrow site of 1 borrow in this many. A captured borrow is fully tracked: also watched for
         * being dropped without {@code close()} (reported as {@link LeakReport.Kind#UNCLOSED}, reclaimed with
         * {@link #reclaimUnclosed(boolean)}). The other borrows cost a reusable record and nothing else: one of
         * them dropped without {@code close()} is reported as {@link LeakReport.Kind#HELD_TOO_LONG} once held past
         * {@code leakThreshold}, and from then on every borrow is fully tracked, as it is once the pool runs hot.
         *
         * @param value capture the borrow site on 1 borrow in this many (default 256; 1 captures and fully
         *              tracks every borrow)
         * @return this builder
         */
        public Builder sampleEvery(int value) {
            this.sampleEvery = value;
            return this;
        }

        /**
         * @param value percentage of maximumPoolSize in use from which every borrow is captured (default 80)
         * @return this builder
         */
        public Builder hotPercent(double value) {
            this.hotPercent = value;
            return this;
        }

        /**
         * @param value how many instances run this pool against the same server (default 1); used by the
         *              exhaustion diagnosis and the pool-budget check
         * @return this builder
         */
        public Builder instances(int value) {
            this.instances = value;
            return this;
        }

        /**
         * @param value connect and statement timeout of diagnosis queries (default 2s)
         * @return this builder
         */
        public Builder diagnosisTimeout(Duration value) {
            this.diagnosisTimeout = value;
            return this;
        }

        /**
         * @param value a non-pooled DataSource for diagnosis queries, e.g. with a monitoring role
         * @return this builder
         */
        public Builder diagnosisDataSource(DataSource value) {
            this.diagnosisDataSource = value;
            return this;
        }

        /**
         * @param value a listener to notify of leaks and exhaustion
         * @return this builder
         */
        public Builder listener(PoolListener value) {
            listeners.add(Objects.requireNonNull(value, "listener"));
            return this;
        }

        /**
         * @param value a {@code io.micrometer.core.instrument.MeterRegistry}
         * @return this builder
         */
        public Builder meterRegistry(Object value) {
            this.meterRegistry = value;
            return this;
        }

        /**
         * @param value the most application frames kept per stack (default 20)
         * @return this builder
         */
        public Builder maxFrames(int value) {
            this.maxFrames = value;
            return this;
        }

        /**
         * Whether a connection found unclosed (the application's wrapper became unreachable without
         * {@code close()} while HikariCP's connection is still open) is returned to HikariCP: rolled back when
         * not in autocommit (the open transaction would otherwise keep its locks, runbook 7), then closed, so
         * that HikariCP gets it back and the pool does not shrink for good. The report says so.
         *
         * <p>Off by default because it is only safe when the wrapper is the only way the application reaches
         * the connection: code that keeps HikariCP's or the driver's connection (obtained with
         * {@code unwrap()}) and drops the wrapper would have its connection rolled back and closed under it.
         * Statements, result sets and database metadata obtained through the wrapper keep it reachable, so
         * they are safe. On, every borrow is fully tracked (as with {@code sampleEvery(1)}: a phantom reference
         * per borrow), so that every unclosed connection is found.
         *
         * @param value true to roll back and return unclosed connections (default false: report only)
         * @return this builder
         */
        public Builder reclaimUnclosed(boolean value) {
            this.reclaimUnclosed = value;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the configuration
         * @throws IllegalArgumentException naming the wrong setting and what is allowed
         */
        public PoolGuardConfig build() {
            require(leakThreshold != null && leakThreshold.toMillis() >= 10, "leakThreshold", leakThreshold, "a duration of 10ms or more");
            require(sampleEvery >= 1, "sampleEvery", sampleEvery, "1 or more (1 captures every borrow)");
            require(hotPercent > 0 && hotPercent <= 100, "hotPercent", hotPercent, "more than 0 and at most 100");
            require(instances >= 1, "instances", instances, "1 or more");
            require(diagnosisTimeout != null && diagnosisTimeout.toMillis() >= 100, "diagnosisTimeout", diagnosisTimeout,
                    "a duration of 100ms or more");
            require(maxFrames >= 1, "maxFrames", maxFrames, "1 or more");
            require(meterRegistry == null || isMeterRegistry(meterRegistry), "meterRegistry", meterRegistry,
                    "an io.micrometer.core.instrument.MeterRegistry (and micrometer-core on the classpath)");
            return new PoolGuardConfig(leakThreshold, sampleEvery, hotPercent, instances, diagnosisTimeout,
                    diagnosisDataSource, listeners, meterRegistry, maxFrames, reclaimUnclosed);
        }

        private static boolean isMeterRegistry(Object value) {
            try {
                return Class.forName("io.micrometer.core.instrument.MeterRegistry", false,
                        PoolGuardConfig.class.getClassLoader()).isInstance(value);
            } catch (ClassNotFoundException e) {
                return false;
            }
        }

        private static void require(boolean ok, String name, Object value, String allowed) {
            if (!ok) {
                throw new IllegalArgumentException("PoolGuardConfig." + name + " is " + value + "; it must be " + allowed);
            }
        }
    }
}
