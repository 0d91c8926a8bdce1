package io.ampora.dbguard.spring.boot.autoconfigure;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code ampora.dbguard.*} properties: what the starter turns on and the checks' thresholds.
 *
 * <pre>
 * ampora.dbguard.application-name=orders-service          # defaults to spring.application.name
 * ampora.dbguard.checks.blocking-locks.warn-after=10s     # CHECK-ID.KEY, the key in kebab-case
 * ampora.dbguard.monitor.interval=10s
 * ampora.dbguard.monitor.intervals.vacuum-health=15m
 * ampora.dbguard.monitor.probes.disk-usage=readiness,startup
 * ampora.dbguard.pool.leak-threshold=30s
 * ampora.dbguard.tenant.enabled=true                       # needs a TenantResolver bean
 * </pre>
 *
 * <p>A key under {@code ampora.dbguard} that does not exist, an unknown check id or an unknown check
 * setting stops the application at startup with the valid names.
 */
@ConfigurationProperties(prefix = DbGuardProperties.PREFIX)
public class DbGuardProperties {

    /** The prefix of every property. */
    public static final String PREFIX = "ampora.dbguard";

    /** Whether the starter configures anything at all. */
    private boolean enabled = true;

    /**
     * Whether the startup-critical checks must pass for the application to start (false: their report is
     * logged and the application starts anyway).
     */
    private boolean verifyOnStartup = true;

    /** Whether this is a production deployment (some checks are stricter). */
    private boolean production;

    /** The application's name in reports and sessions; defaults to spring.application.name. */
    private String applicationName;

    /**
     * How long the checks wait for a database connection. The checks connect on their own, outside the
     * application's pool, so an outage is seen within this budget and not after the pool's connection timeout.
     */
    private Duration connectTimeout = Duration.ofSeconds(2);

    /** How long one check may run. */
    private Duration checkTimeout = Duration.ofSeconds(5);

    /**
     * Check thresholds: checks.CHECK-ID.KEY=VALUE, the key in kebab-case
     * (checks.blocking-locks.warn-after=10s sets the blocking-locks check's warnAfter).
     */
    private Map<String, Map<String, String>> checks = new LinkedHashMap<>();

    private final Monitor monitor = new Monitor();
    private final Pool pool = new Pool();
    private final Flyway flyway = new Flyway();
    private final Tenant tenant = new Tenant();
    private final Metrics metrics = new Metrics();
    private final BackgroundPreinitializer backgroundPreinitializer = new BackgroundPreinitializer();

    /** @return whether the starter is on */
    public boolean isEnabled() {
        return enabled;
    }

    /** @param enabled whether the starter is on */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /** @return whether a failing check stops the startup */
    public boolean isVerifyOnStartup() {
        return verifyOnStartup;
    }

    /** @param verifyOnStartup whether a failing check stops the startup */
    public void setVerifyOnStartup(boolean verifyOnStartup) {
        this.verifyOnStartup = verifyOnStartup;
    }

    /** @return whether this is production */
    public boolean isProduction() {
        return production;
    }

    /** @param production whether this is production */
    public void setProduction(boolean production) {
        this.production = production;
    }

    /** @return the application name, or null for spring.application.name */
    public String getApplicationName() {
        return applicationName;
    }

    /** @param applicationName the application name */
    public void setApplicationName(String applicationName) {
        this.applicationName = applicationName;
    }

    /** @return the checks' connection budget */
    public Duration getConnectTimeout() {
        return connectTimeout;
    }

    /** @param connectTimeout the checks' connection budget */
    public void setConnectTimeout(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    /** @return one check's time budget */
    public Duration getCheckTimeout() {
        return checkTimeout;
    }

    /** @param checkTimeout one check's time budget */
    public void setCheckTimeout(Duration checkTimeout) {
        this.checkTimeout = checkTimeout;
    }

    /** @return check id to (kebab-case key to value) */
    public Map<String, Map<String, String>> getChecks() {
        return checks;
    }

    /** @param checks check id to (kebab-case key to value) */
    public void setChecks(Map<String, Map<String, String>> checks) {
        this.checks = checks;
    }

    /** @return the monitor's properties */
    public Monitor getMonitor() {
        return monitor;
    }

    /** @return the pool's properties */
    public Pool getPool() {
        return pool;
    }

    /** @return the Flyway properties */
    public Flyway getFlyway() {
        return flyway;
    }

    /** @return the tenant binding's properties */
    public Tenant getTenant() {
        return tenant;
    }

    /** @return the metrics properties */
    public Metrics getMetrics() {
        return metrics;
    }

    /** @return the background pre-initializer's properties */
    public BackgroundPreinitializer getBackgroundPreinitializer() {
        return backgroundPreinitializer;
    }

    /** {@code ampora.dbguard.monitor.*}: how often the background monitor re-runs the checks. */
    public static class Monitor {

        /** How often every check is re-run, unless monitor.intervals names it. */
        private Duration interval = Duration.ofSeconds(10);

        /** Per-check intervals: monitor.intervals.CHECK-ID=15m. */
        private Map<String, Duration> intervals = new LinkedHashMap<>();

        /** @return the default interval */
        public Duration getInterval() {
            return interval;
        }

        /** @param interval the default interval */
        public void setInterval(Duration interval) {
            this.interval = interval;
        }

        /** @return check id to interval */
        public Map<String, Duration> getIntervals() {
            return intervals;
        }

        /** @param intervals check id to interval */
        public void setIntervals(Map<String, Duration> intervals) {
            this.intervals = intervals;
        }

        /**
         * Per-check health probes, instead of what the check declares: monitor.probes.CHECK-ID=readiness,startup
         * (or none). By default the database-wide checks affect no readiness: every instance sees them at once.
         */
        private Map<String, List<String>> probes = new LinkedHashMap<>();

        /** @return check id to the probes its result affects */
        public Map<String, List<String>> getProbes() {
            return probes;
        }

        /** @param probes check id to probes: readiness, startup, or none */
        public void setProbes(Map<String, List<String>> probes) {
            this.probes = probes;
        }

        /**
         * The fleet this instance belongs to: instances with the same name run each database-wide check once
         * per interval between them (elected through PostgreSQL advisory locks, results shared with NOTIFY).
         * Unset: every instance runs every check itself.
         */
        private String fleet;

        /** This instance's name in a fleet's reports ("ran by"); default host:pid. */
        private String instance;

        /** @return the fleet name, or null when coordination is off */
        public String getFleet() {
            return fleet;
        }

        /** @param fleet the fleet name; the same on every instance of the application */
        public void setFleet(String fleet) {
            this.fleet = fleet;
        }

        /** @return this instance's name in the fleet, or null for the default */
        public String getInstance() {
            return instance;
        }

        /** @param instance this instance's name in the fleet, e.g. the pod name */
        public void setInstance(String instance) {
            this.instance = instance;
        }
    }

    /** {@code ampora.dbguard.pool.*}: the GuardedPool around Boot's HikariDataSource. */
    public static class Pool {

        /** Whether Boot's HikariDataSource is wrapped in a GuardedPool (leak reports, exhaustion causes, pool checks). */
        private boolean enabled = true;

        /** How long a connection may be held before it is reported as a leak. */
        private Duration leakThreshold = Duration.ofSeconds(30);

        /** How many instances of the application run this pool against the same server (pool-budget). */
        private int instances = 1;

        /** Capture the borrow-site stack on 1 borrow in this many (1: every borrow; every borrow anyway once the pool runs hot or a leak was seen). */
        private int sampleEvery = 256;

        /** Whether a connection dropped without close() is rolled back and returned to the pool. */
        private boolean reclaimUnclosed;

        /** @return whether the pool is guarded */
        public boolean isEnabled() {
            return enabled;
        }

        /** @param enabled whether the pool is guarded */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /** @return the leak threshold */
        public Duration getLeakThreshold() {
            return leakThreshold;
        }

        /** @param leakThreshold the leak threshold */
        public void setLeakThreshold(Duration leakThreshold) {
            this.leakThreshold = leakThreshold;
        }

        /** @return the number of instances */
        public int getInstances() {
            return instances;
        }

        /** @param instances the number of instances */
        public void setInstances(int instances) {
            this.instances = instances;
        }

        /** @return 1 in how many borrows has its borrow site captured */
        public int getSampleEvery() {
            return sampleEvery;
        }

        /** @param sampleEvery 1 in how many borrows has its borrow site captured */
        public void setSampleEvery(int sampleEvery) {
            this.sampleEvery = sampleEvery;
        }

        /** @return whether unclosed connections are reclaimed */
        public boolean isReclaimUnclosed() {
            return reclaimUnclosed;
        }

        /** @param reclaimUnclosed whether unclosed connections are reclaimed */
        public void setReclaimUnclosed(boolean reclaimUnclosed) {
            this.reclaimUnclosed = reclaimUnclosed;
        }
    }

    /** {@code ampora.dbguard.flyway.*}: the migration checks, configured from spring.flyway.*. */
    public static class Flyway {

        /** Whether the migration checks are added when Flyway is on the classpath. */
        private boolean enabled = true;

        /** The committed schema snapshot (a classpath resource such as db/schema.json); enables schema-drift. */
        private String snapshot;

        /** Whether pending migrations are unexpected (a separate job migrates): schema-version then warns. */
        private boolean expectNoPending;

        /** The role that runs migrations when it is not the application's own (migration-permissions). */
        private String migrationRole;

        /** @return whether the migration checks are on */
        public boolean isEnabled() {
            return enabled;
        }

        /** @param enabled whether the migration checks are on */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /** @return the snapshot resource, or null */
        public String getSnapshot() {
            return snapshot;
        }

        /** @param snapshot the snapshot resource */
        public void setSnapshot(String snapshot) {
            this.snapshot = snapshot;
        }

        /** @return whether pending migrations are unexpected */
        public boolean isExpectNoPending() {
            return expectNoPending;
        }

        /** @param expectNoPending whether pending migrations are unexpected */
        public void setExpectNoPending(boolean expectNoPending) {
            this.expectNoPending = expectNoPending;
        }

        /** @return the migration role, or null */
        public String getMigrationRole() {
            return migrationRole;
        }

        /** @param migrationRole the migration role */
        public void setMigrationRole(String migrationRole) {
            this.migrationRole = migrationRole;
        }
    }

    /** {@code ampora.dbguard.tenant.*}: tenant binding for Row Level Security (opt-in). */
    public static class Tenant {

        /** Whether the DataSource binds the request's tenant per transaction; needs a TenantResolver bean. */
        private boolean enabled;

        /** The setting the tenant id is bound to, read by the RLS policies. */
        private String setting = "app.tenant_id";

        /** @return whether tenant binding is on */
        public boolean isEnabled() {
            return enabled;
        }

        /** @param enabled whether tenant binding is on */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /** @return the tenant setting */
        public String getSetting() {
            return setting;
        }

        /** @param setting the tenant setting */
        public void setSetting(String setting) {
            this.setting = setting;
        }
    }

    /** {@code ampora.dbguard.metrics.*}: the query timer and the monitor's gauges. */
    public static class Metrics {

        /** Whether, with a MeterRegistry, statements are timed, the monitor's gauges bound and query-latency added. */
        private boolean enabled = true;

        /** @return whether metrics are on */
        public boolean isEnabled() {
            return enabled;
        }

        /** @param enabled whether metrics are on */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }
    }

    /**
     * {@code ampora.dbguard.background-preinitializer.*}: the starter loads the classes it needs on a daemon thread
     * while Boot prepares the context (see {@link DbGuardBackgroundPreinitializer}). Read from the environment when
     * Boot has prepared it (system property, environment variable or application properties), not bound.
     */
    public static class BackgroundPreinitializer {

        /**
         * Whether to skip the background class loading (like Boot's spring.backgroundpreinitializer.ignore); it
         * never runs with a single CPU or with ampora.dbguard.enabled=false.
         */
        private boolean ignore;

        /** @return whether the background class loading is skipped */
        public boolean isIgnore() {
            return ignore;
        }

        /** @param ignore whether to skip the background class loading */
        public void setIgnore(boolean ignore) {
            this.ignore = ignore;
        }
    }
}
