package io.ampora.dbguard.monitor;

import io.ampora.dbguard.DbGuardConfigurationException;
import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.internal.SettingValues;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

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
 * <p>Without a per-check interval, a check's interval follows what it declares
 * ({@link DatabaseCheck#scope()}, {@link DatabaseCheck#cost()}): per-instance checks run every default
 * interval; database-wide checks every {@link CheckCost#intervalFactor()} default intervals (10 s cheap,
 * 30 s normal, 15 min for catalog scans with the 10 s default). A check whose last run took more than
 * {@link #BACK_OFF_SHARE a quarter} of its interval backs off (see {@link DbGuardMonitor}).
 *
 * <p>{@link Builder#probes(String, Probe...)} changes which health probes a check's result affects: by default
 * what the check declares ({@link DatabaseCheck#probes()}; the runbook's database-wide checks affect no
 * readiness, since every instance sees them at once), e.g. {@code .probes("disk-usage", Probe.READINESS,
 * Probe.STARTUP)} to take instances out of the load balancer when the disk is full, or
 * {@code .probes("pool-saturation")} for none.
 *
 * <p>{@link Builder#fleet(String)} turns on fleet coordination: the instances of one fleet that monitor
 * one database run each database-wide check once per interval between them (see {@link DbGuardMonitor}).
 *
 * <p>Immutable; {@link Builder#build()} validates every value and names what is wrong. Check ids are
 * validated against the guard when the monitor starts.
 */
public final class MonitorConfig {

    /** The shortest interval accepted: shorter would load the database for no operational gain. */
    public static final Duration MIN_INTERVAL = Duration.ofMillis(100);

    /**
     * The share of its interval a check's run may take before the check backs off: a run longer than a
     * quarter of the interval makes the next one wait four times the run's duration (at most
     * {@link #MAX_BACK_OFF_FACTOR} intervals), so that a slow check on a big or busy database does not
     * spend most of its time running.
     */
    public static final double BACK_OFF_SHARE = 0.25;

    /** The longest back-off, in intervals. */
    public static final int MAX_BACK_OFF_FACTOR = 16;

    /** Fleet and instance names: letters, digits and {@code . _ - : @ /}, at most 63 characters. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._\\-:@/]{1,63}");

    private final Duration defaultInterval;
    private final Map<String, Duration> intervals;
    private final Map<String, Set<Probe>> probes;
    private final String fleet;
    private final String instance;

    private MonitorConfig(Duration defaultInterval, Map<String, Duration> intervals, Map<String, Set<Probe>> probes,
            String fleet, String instance) {
        this.defaultInterval = defaultInterval;
        this.intervals = Collections.unmodifiableMap(new LinkedHashMap<>(intervals));
        Map<String, Set<Probe>> frozen = new LinkedHashMap<>();
        probes.forEach((id, set) -> frozen.put(id, Collections.unmodifiableSet(EnumSet.copyOf(set))));
        this.probes = Collections.unmodifiableMap(frozen);
        this.fleet = fleet;
        this.instance = instance;
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

    /**
     * The interval of one check as the monitor schedules it (before any back-off): its per-check
     * override; else the default interval for a {@link CheckScope#INSTANCE} check; else the default
     * interval times the check's {@link CheckCost#intervalFactor()}.
     *
     * @param check the check
     * @return its interval
     */
    public Duration intervalOf(DatabaseCheck check) {
        Duration override = intervals.get(check.id());
        if (override != null) {
            return override;
        }
        if (check.scope() == CheckScope.INSTANCE) {
            return defaultInterval;
        }
        return defaultInterval.multipliedBy(check.cost().intervalFactor());
    }

    /** @return the per-check probe overrides by check id (an empty set: the check affects no probe) */
    public Map<String, Set<Probe>> probes() {
        return probes;
    }

    /**
     * The probes one check's result affects: its override ({@link Builder#probes(String, Probe...)}), else what
     * the check declares ({@link DatabaseCheck#probes()}).
     *
     * @param check the check
     * @return the probes; never {@link Probe#LIVENESS}
     */
    public Set<Probe> probesOf(DatabaseCheck check) {
        Set<Probe> override = probes.get(check.id());
        return override != null ? override : check.probes();
    }

    /**
     * The fleet this monitor coordinates with, when {@link Builder#fleet(String)} was set.
     *
     * @return the fleet name; empty when coordination is off (the default)
     */
    public Optional<String> fleet() {
        return Optional.ofNullable(fleet);
    }

    /**
     * The name this instance shows as "ran by" in the fleet's reports.
     *
     * @return the name given to {@link Builder#instance(String)}, or the host name and process id
     */
    public String instance() {
        return instance;
    }

    @Override
    public String toString() {
        return "MonitorConfig[defaultInterval=" + defaultInterval + ", intervals=" + intervals
                + (probes.isEmpty() ? "" : ", probes=" + probes)
                + (fleet == null ? "" : ", fleet=" + fleet + ", instance=" + instance) + "]";
    }

    private static String defaultInstanceName() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException | RuntimeException e) {
                host = "localhost";
            }
        }
        String name = host + ":" + ProcessHandle.current().pid();
        return name.length() > 63 ? name.substring(name.length() - 63) : name;
    }

    /** Builds a {@link MonitorConfig}; {@link #build()} validates. */
    public static final class Builder {
        private Duration defaultInterval = Duration.ofSeconds(10);
        private final Map<String, Duration> intervals = new LinkedHashMap<>();
        private final Map<String, Set<Probe>> probes = new LinkedHashMap<>();
        private String fleet;
        private String instance;

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
         * Sets several per-check intervals at once, e.g. bound from {@code monitor.intervals.<check-id>}
         * properties; the same as calling {@link #interval(String, Duration)} for each entry.
         *
         * @param value intervals by check id
         * @return this builder
         */
        public Builder intervals(Map<String, Duration> value) {
            Objects.requireNonNull(value, "intervals").forEach(this::interval);
            return this;
        }

        /**
         * Which health probes one check's result affects, instead of what the check declares: a FAIL of the
         * check (or an UNKNOWN when the guard counts it as failure) makes these probes DOWN. No probe: the check
         * is still run, reported, logged and counted, but no orchestrator acts on it.
         *
         * <p>Why a database-wide check affects no readiness by default: readiness asks whether this instance
         * can serve, and every instance sees a database-wide condition (a table's bloat, a long transaction, a
         * full disk) at the same moment; readiness DOWN everywhere at once would turn it into an outage.
         *
         * @param checkId the check's id (validated against the guard when the monitor starts)
         * @param probes  {@link Probe#READINESS} and/or {@link Probe#STARTUP}; none for no probe; never
         *                {@link Probe#LIVENESS} (a restart cannot fix a database)
         * @return this builder
         */
        public Builder probes(String checkId, Probe... probes) {
            return probes(checkId, Arrays.asList(Objects.requireNonNull(probes, "probes")));
        }

        /**
         * The same as {@link #probes(String, Probe...)}, e.g. bound from {@code monitor.probes.<check-id>}.
         *
         * @param checkId the check's id
         * @param probes  {@link Probe#READINESS} and/or {@link Probe#STARTUP}; empty for no probe
         * @return this builder
         */
        public Builder probes(String checkId, Collection<Probe> probes) {
            Objects.requireNonNull(checkId, "checkId");
            Objects.requireNonNull(probes, "probes");
            Set<Probe> set = EnumSet.noneOf(Probe.class);
            for (Probe probe : probes) {
                set.add(Objects.requireNonNull(probe, () -> "a probe of '" + checkId + "' is null"));
            }
            this.probes.put(checkId, set);
            return this;
        }

        /**
         * Turns on fleet coordination: the monitors of all instances with the same fleet name (the
         * application's name is a good choice) on one database elect, through PostgreSQL advisory locks,
         * one instance per database-wide check and interval to run it, and share its result with
         * {@code NOTIFY}. Each monitor holds one extra session for it. Off by default; {@code null} or blank
         * turns it off again.
         *
         * @param name the fleet's name: letters, digits and {@code . _ - : @ /}, at most 63 characters
         * @return this builder
         */
        public Builder fleet(String name) {
            this.fleet = name == null || name.isBlank() ? null : name;
            return this;
        }

        /**
         * The name this instance shows in the fleet's reports as the one that ran a check (a pod name).
         *
         * @param name letters, digits and {@code . _ - : @ /}, at most 63 characters; the default is the
         *             {@code HOSTNAME} environment variable (or the host name) and the process id
         * @return this builder
         */
        public Builder instance(String name) {
            this.instance = name;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the configuration
         * @throws DbGuardConfigurationException naming the interval that is missing or too short, or the check
         *                                       whose probes include liveness
         */
        public MonitorConfig build() {
            validate("defaultInterval", defaultInterval);
            intervals.forEach((id, value) -> validate("interval of '" + id + "'", value));
            probes.forEach((id, set) -> {
                if (set.contains(Probe.LIVENESS)) {
                    throw new DbGuardConfigurationException("Monitor probes of '" + id + "' include LIVENESS; a database"
                            + " check never affects liveness (a restart cannot fix the database, and a fleet restarting"
                            + " together slows its recovery): use READINESS and/or STARTUP, or none");
                }
            });
            validateName("fleet", fleet);
            validateName("instance", instance);
            return new MonitorConfig(defaultInterval, intervals, probes, fleet,
                    instance == null ? defaultInstanceName() : instance);
        }

        private static void validateName(String what, String value) {
            if (value != null && !NAME.matcher(value).matches()) {
                throw new DbGuardConfigurationException("Monitor " + what + " name '" + value + "' is not allowed; use"
                        + " 1 to 63 letters, digits or . _ - : @ /");
            }
        }

        private static void validate(String name, Duration value) {
            if (value == null) {
                throw new DbGuardConfigurationException("Monitor " + name + " is not set; give a duration of at least "
                        + SettingValues.format(MIN_INTERVAL));
            }
            if (value.compareTo(MIN_INTERVAL) < 0) {
                throw new DbGuardConfigurationException("Monitor " + name + " is " + SettingValues.format(value) + "; it must be at least "
                        + SettingValues.format(MIN_INTERVAL) + " so that monitoring does not load the database");
            }
        }
    }
}
