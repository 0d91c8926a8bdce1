package io.ampora.dbguard.monitor;

import io.ampora.dbguard.DbGuardConfigurationException;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How often a {@link DbGuardMonitor} re-runs each check: a default interval and per-check overrides, so
 * that cheap checks (connectivity) run often and expensive ones (catalog scans) rarely.
 *
 * <pre>{@code
 * MonitorConfig config = MonitorConfig.builder()
 *         .defaultInterval(Duration.ofSeconds(10))
 *         .interval("table-bloat", Duration.ofMinutes(15))
 *         .build();
 * }</pre>
 *
 * <p>Immutable; {@link Builder#build()} validates every value and names what is wrong. Check ids are
 * validated against the guard when the monitor starts.
 */
public final class MonitorConfig {

    /** The shortest interval accepted: shorter would load the database for no operational gain. */
    public static final Duration MIN_INTERVAL = Duration.ofMillis(100);

    private final Duration defaultInterval;
    private final Map<String, Duration> intervals;

    private MonitorConfig(Duration defaultInterval, Map<String, Duration> intervals) {
        this.defaultInterval = defaultInterval;
        this.intervals = Collections.unmodifiableMap(new LinkedHashMap<>(intervals));
    }

    /** @return a builder with a default interval of 10 seconds and no overrides */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the configuration with every default: every check every 10 seconds */
    public static MonitorConfig defaults() {
        return builder().build();
    }

    /** @return the interval of checks without an override */
    public Duration defaultInterval() {
        return defaultInterval;
    }

    /** @return the per-check overrides by check id */
    public Map<String, Duration> intervals() {
        return intervals;
    }

    /**
     * The interval of one check.
     *
     * @param checkId the check's id
     * @return its override, or the default interval
     */
    public Duration intervalOf(String checkId) {
        return intervals.getOrDefault(checkId, defaultInterval);
    }

    @Override
    public String toString() {
        return "MonitorConfig[defaultInterval=" + defaultInterval + ", intervals=" + intervals + "]";
    }

    /** Builds a {@link MonitorConfig}; {@link #build()} validates. */
    public static final class Builder {
        private Duration defaultInterval = Duration.ofSeconds(10);
        private final Map<String, Duration> intervals = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * How often checks without an override run.
         *
         * @param value at least {@link #MIN_INTERVAL}
         * @return this builder
         */
        public Builder defaultInterval(Duration value) {
            this.defaultInterval = value;
            return this;
        }

        /**
         * How often one check runs, e.g. an expensive catalog scan every 15 minutes.
         *
         * @param checkId the check's id
         * @param value   at least {@link #MIN_INTERVAL}
         * @return this builder
         */
        public Builder interval(String checkId, Duration value) {
            intervals.put(Objects.requireNonNull(checkId, "checkId"), value);
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the configuration
         * @throws DbGuardConfigurationException naming the interval that is missing or too short
         */
        public MonitorConfig build() {
            validate("defaultInterval", defaultInterval);
            intervals.forEach((id, value) -> validate("interval of '" + id + "'", value));
            return new MonitorConfig(defaultInterval, intervals);
        }

        private static void validate(String name, Duration value) {
            if (value == null) {
                throw new DbGuardConfigurationException("Monitor " + name + " is not set; give a duration of at least "
                        + MIN_INTERVAL.toMillis() + " ms");
            }
            if (value.compareTo(MIN_INTERVAL) < 0) {
                throw new DbGuardConfigurationException("Monitor " + name + " is " + value + "; it must be at least "
                        + MIN_INTERVAL.toMillis() + " ms so that monitoring does not load the database");
            }
        }
    }
}
