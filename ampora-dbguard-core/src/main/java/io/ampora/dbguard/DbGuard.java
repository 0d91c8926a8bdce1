package io.ampora.dbguard;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.ConnectionInfo;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.GuardOptions;
import io.ampora.dbguard.internal.CheckRunner;
import io.ampora.dbguard.internal.SecretMasker;
import io.ampora.dbguard.monitor.DbGuardMonitor;
import io.ampora.dbguard.monitor.MonitorConfig;
import io.ampora.dbguard.monitor.MonitoredGuard;
import io.ampora.dbguard.report.Report;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.Set;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point: runs the runbook's checks against a PostgreSQL database and says what is wrong,
 * with the evidence and the fix.
 *
 * <pre>{@code
 * DbGuard guard = DbGuard.builder()
 *         .dataSource(dataSource)
 *         .applicationName("orders-service")
 *         .build();
 * guard.verifyOrFail();          // at startup: throws with the readable list of what failed
 * Report report = guard.report(); // any time: every check, for a readiness endpoint or a log
 * }</pre>
 *
 * <p>A guard is immutable and thread-safe; build it once. Every check runs in its own read-only
 * transaction with local timeouts, concurrently on at most {@link Builder#maxConcurrency(int)} sessions;
 * a check that hangs is cut off at its budget and the whole report at its deadline, so a broken database
 * can never hang the caller for longer than {@link Builder#deadline(Duration)} plus a small margin.
 */
public final class DbGuard implements MonitoredGuard {

    private static final Logger LOG = LoggerFactory.getLogger(DbGuard.class);

    private final List<DatabaseCheck> checks;
    private final CheckRunner runner;
    private final SecretMasker masker;
    private final boolean unknownIsFailure;
    private final GuardOptions options;
    private final DataSource primary;

    private DbGuard(List<DatabaseCheck> checks, CheckRunner runner, SecretMasker masker, boolean unknownIsFailure,
                    GuardOptions options, DataSource primary) {
        this.primary = primary;
        this.checks = checks;
        this.runner = runner;
        this.masker = masker;
        this.unknownIsFailure = unknownIsFailure;
        this.options = options;
    }

    /** @return a builder; set at least a DataSource or a JDBC URL */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Every check found on the classpath through {@link ServiceLoader}, ordered by runbook section and,
     * within a section, in the order the service files list them.
     *
     * @return the checks
     */
    public static List<DatabaseCheck> discoverChecks() {
        return CheckCatalogue.discover();
    }

    /** @return the checks this guard runs, in report order */
    public List<DatabaseCheck> checks() {
        return checks;
    }

    /** @return the options handed to checks (application name, production flag, masked connection info) */
    public GuardOptions options() {
        return options;
    }

    /**
     * Runs every configured check. Never throws for a database or check problem: an unreachable database
     * is a FAIL of {@code connectivity}, a check that cannot tell is UNKNOWN.
     *
     * @return the report
     */
    public Report report() {
        return runner.run(checks);
    }

    /**
     * Runs the configured checks whose ids are given.
     *
     * @param ids check ids; each must be one of {@link #checks()}
     * @return the report
     * @throws IllegalArgumentException naming the unknown id and the valid ones
     */
    public Report report(Collection<String> ids) {
        Map<String, DatabaseCheck> byId = byId(checks);
        List<DatabaseCheck> selected = new ArrayList<>();
        for (String id : ids) {
            DatabaseCheck c = byId.get(id);
            if (c == null) {
                throw new IllegalArgumentException("Unknown check id '" + id + "'; this guard runs: " + byId.keySet());
            }
            selected.add(c);
        }
        return runner.run(selected);
    }

    /**
     * Runs the startup-critical checks and throws when one fails; call it before the application serves
     * traffic or migrates. UNKNOWN fails too when the guard is built with {@code unknownIsFailure(true)}.
     *
     * @return the report, when nothing failed (warnings are logged)
     * @throws DbGuardVerificationException listing every failure with its evidence and the fix
     */
    public Report verifyOrFail() {
        Report report = runner.run(checks.stream().filter(DatabaseCheck::startupCritical).toList());
        List<CheckResult> failed = report.checks().stream()
                .filter(r -> r.status() == CheckStatus.FAIL || (unknownIsFailure && r.status() == CheckStatus.UNKNOWN))
                .toList();
        if (!failed.isEmpty()) {
            throw new DbGuardVerificationException(report, failed);
        }
        for (CheckResult r : report.checks()) {
            if (r.status() == CheckStatus.WARN || r.status() == CheckStatus.UNKNOWN) {
                LOG.warn("Database check {} is {}: {} {}", r.checkId(), r.status(), r.summary(), r.remediation());
            }
        }
        LOG.info("Database verified in {} ms: {}", report.duration().toMillis(), report.status());
        return report;
    }

    /**
     * Whether UNKNOWN counts as a failure: in the report's status, in {@link #verifyOrFail()} and in the
     * health probes of a {@link #monitor(MonitorConfig) monitor}.
     *
     * @return the value given to {@link Builder#unknownIsFailure(boolean)}
     */
    public boolean unknownIsFailure() {
        return unknownIsFailure;
    }

    /**
     * Starts re-running this guard's checks in the background, each on its interval, and keeps the last
     * report so that readiness is answered from memory, without touching the database. Close the monitor
     * to stop it; its threads are daemons, so a forgotten monitor does not keep the JVM alive.
     *
     * <pre>{@code
     * DbGuardMonitor monitor = guard.monitor(MonitorConfig.builder()
     *         .defaultInterval(Duration.ofSeconds(10))
     *         .interval("connection-headroom", Duration.ofMinutes(1))
     *         .build());
     * HealthServer.start(monitor, new InetSocketAddress(8081)); // /health/live, /health/ready, ...
     * }</pre>
     *
     * @param config the intervals
     * @return the running monitor
     * @throws DbGuardConfigurationException when the config names a check this guard does not run
     */
    public DbGuardMonitor monitor(MonitorConfig config) {
        return DbGuardMonitor.start(this, config);
    }

    /**
     * The primary's DataSource the guard's sessions come from: the one given to the builder, or the guard's
     * own unpooled one for a JDBC URL. A fleet monitor ({@link MonitorConfig.Builder#fleet(String)}) opens
     * its coordination session through it.
     *
     * @return the DataSource
     */
    public DataSource dataSource() {
        return primary;
    }

    /**
     * Masks secrets in a text with the same rules the guard applies to its reports: use it for any
     * message built from connection details.
     *
     * @param text the text
     * @return the text without passwords
     */
    public String mask(String text) {
        return masker.mask(text);
    }

    private static Map<String, DatabaseCheck> byId(List<DatabaseCheck> checks) {
        Map<String, DatabaseCheck> map = new LinkedHashMap<>();
        checks.forEach(c -> map.put(c.id(), c));
        return map;
    }

    /**
     * Configures a {@link DbGuard}; {@link #build()} validates everything and names what is wrong.
     * Defaults: every check on the classpath, check timeout 5s, connect timeout 5s, report deadline 15s,
     * 2 concurrent sessions, UNKNOWN does not fail.
     */
    public static final class Builder {
        private DataSource dataSource;
        private String jdbcUrl;
        private String user;
        private String password;
        private final Properties properties = new Properties();
        private DataSource replicaDataSource;
        private String replicaJdbcUrl;
        private String replicaUser;
        private String replicaPassword;
        private String applicationName;
        private boolean production;
        private List<DatabaseCheck> checks;
        private final List<DatabaseCheck> added = new ArrayList<>();
        private final Set<String> only = new LinkedHashSet<>();
        private final Set<String> excluded = new LinkedHashSet<>();
        private final Map<String, Object> settings = new LinkedHashMap<>();
        /** Longer budgets overflow the driver's int milliseconds and the runner's nanosecond clock. */
        private static final Duration MAX_BUDGET = Duration.ofHours(24);
        private Duration checkTimeout = Duration.ofSeconds(5);
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration deadline = Duration.ofSeconds(15);
        private int maxConcurrency = 2;
        private boolean unknownIsFailure;
        private Clock clock = Clock.systemUTC();
        private final List<String> secrets = new ArrayList<>();

        private Builder() {
        }

        /**
         * The application's DataSource (a pool is fine: the guard borrows a session per check and returns
         * it unchanged). Mutually exclusive with {@link #jdbcUrl(String)}. A {@link ScopedDataSource} (such
         * as the RLS module's {@code TenantDataSource}) is fine too: the checks run on its
         * {@link ScopedDataSource#delegate()}, since they have no tenant.
         *
         * <p>A DataSource known to open a physical connection per call (pgjdbc's {@code PGSimpleDataSource},
         * Spring's {@code DriverManagerDataSource} and {@code SimpleDriverDataSource}) is treated like a URL:
         * a report keeps its connections across its checks and closes them at its end, instead of a new backend
         * and login per check. Any other DataSource is treated as a pool: a connection per check, given back
         * unchanged. Either way each check's read-only transaction and timeouts are set locally, so nothing is
         * left on a server session, PgBouncer in transaction mode included.
         *
         * @param value the DataSource
         * @return this builder
         */
        public Builder dataSource(DataSource value) {
            this.dataSource = value;
            return this;
        }

        /**
         * Connect with a JDBC URL instead of a DataSource, through pgjdbc without a pool. The URL is
         * shown masked in reports, and lets the {@code tls} check read the client's SSL settings.
         *
         * @param value a {@code jdbc:postgresql:} URL
         * @return this builder
         */
        public Builder jdbcUrl(String value) {
            this.jdbcUrl = value;
            return this;
        }

        /**
         * @param value the user for {@link #jdbcUrl(String)}
         * @return this builder
         */
        public Builder user(String value) {
            this.user = value;
            return this;
        }

        /**
         * The password for {@link #jdbcUrl(String)}; it never appears in a report, log or exception.
         *
         * @param value the password
         * @return this builder
         */
        public Builder password(String value) {
            this.password = value;
            return this;
        }

        /**
         * A pgjdbc connection property for {@link #jdbcUrl(String)} (e.g. {@code sslmode}).
         *
         * @param name  the property
         * @param value its value
         * @return this builder
         */
        public Builder connectionProperty(String name, String value) {
            properties.setProperty(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * The read replica the application reads from (the runbook's {@code ConnectionStrings:AmporaRead});
         * replica checks are skipped without it.
         *
         * @param value the replica's DataSource
         * @return this builder
         */
        public Builder replicaDataSource(DataSource value) {
            this.replicaDataSource = value;
            return this;
        }

        /**
         * Connect to the read replica with a JDBC URL instead of a DataSource, through pgjdbc without a
         * pool; mutually exclusive with {@link #replicaDataSource(DataSource)}. It uses the primary's
         * {@link #user(String)}, {@link #password(String)} and {@link #connectionProperty(String, String)}
         * unless {@link #replicaUser(String)} / {@link #replicaPassword(String)} say otherwise; reports show
         * the URL masked.
         *
         * @param value a {@code jdbc:postgresql:} URL of the replica
         * @return this builder
         */
        public Builder replicaJdbcUrl(String value) {
            this.replicaJdbcUrl = value;
            return this;
        }

        /**
         * @param value the user for {@link #replicaJdbcUrl(String)}, when it differs from the primary's
         * @return this builder
         */
        public Builder replicaUser(String value) {
            this.replicaUser = value;
            return this;
        }

        /**
         * The password for {@link #replicaJdbcUrl(String)}, when it differs from the primary's; it never
         * appears in a report, log or exception.
         *
         * @param value the password
         * @return this builder
         */
        public Builder replicaPassword(String value) {
            this.replicaPassword = value;
            return this;
        }

        /**
         * The {@code application_name} the application's own sessions carry, so that checks can tell them
         * apart from others (a forgotten psql holding a lock gets "terminate it", the application's own
         * session gets "capture the query").
         *
         * @param value the application name
         * @return this builder
         */
        public Builder applicationName(String value) {
            this.applicationName = value;
            return this;
        }

        /**
         * Whether this is production: insecure settings that are warnings elsewhere fail here.
         *
         * @param value {@code true} for production
         * @return this builder
         */
        public Builder production(boolean value) {
            this.production = value;
            return this;
        }

        /**
         * Replaces the discovered checks with exactly these.
         *
         * @param value the checks
         * @return this builder
         */
        public Builder checks(Collection<? extends DatabaseCheck> value) {
            this.checks = new ArrayList<>(value);
            return this;
        }

        /**
         * Adds a check to the discovered (or given) ones, e.g. a pool check bound to a pool instance.
         *
         * @param check the check
         * @return this builder
         */
        public Builder addCheck(DatabaseCheck check) {
            added.add(Objects.requireNonNull(check, "check"));
            return this;
        }

        /**
         * Runs only the checks with these ids.
         *
         * @param ids check ids
         * @return this builder
         */
        public Builder only(Collection<String> ids) {
            only.addAll(ids);
            return this;
        }

        /**
         * Leaves out the checks with these ids.
         *
         * @param ids check ids
         * @return this builder
         */
        public Builder exclude(Collection<String> ids) {
            excluded.addAll(ids);
            return this;
        }

        /**
         * Overrides a check's setting: {@code set("connection-headroom.warnPercent", "50")}. Values are
         * text in the setting's form ({@code 500ms}, {@code 5s}, {@code 512MB}, {@code 80}) or a value of
         * its type; {@link #build()} parses and validates them. A warn threshold and its fail threshold
         * (a {@link io.ampora.dbguard.check.SettingOrder}) must stay in order: setting both the wrong way
         * round ({@code warnAfter} 10s, {@code failAfter} 5s) fails the build; setting only one that
         * crosses the other's default moves that default to it ({@code failAfter} 1s alone makes
         * {@code warnAfter} 1s too, so the check FAILs from 1s).
         *
         * @param checkIdDotKey the check id and setting name joined by a dot
         * @param value         the value
         * @return this builder
         */
        public Builder set(String checkIdDotKey, Object value) {
            settings.put(Objects.requireNonNull(checkIdDotKey, "setting"), value);
            return this;
        }

        /**
         * Each check's time budget; its session's {@code statement_timeout}.
         *
         * @param value a positive duration, at most the deadline
         * @return this builder
         */
        public Builder checkTimeout(Duration value) {
            this.checkTimeout = value;
            return this;
        }

        /**
         * How long the first connection to each server may take before {@code connectivity} reports a timeout.
         *
         * @param value a positive duration, at most the deadline
         * @return this builder
         */
        public Builder connectTimeout(Duration value) {
            this.connectTimeout = value;
            return this;
        }

        /**
         * The budget of a whole report; checks still running then are reported UNKNOWN.
         *
         * @param value a positive duration
         * @return this builder
         */
        public Builder deadline(Duration value) {
            this.deadline = value;
            return this;
        }

        /**
         * How many checks run at once, so how many sessions the guard holds at most.
         *
         * @param value 1 to 32
         * @return this builder
         */
        public Builder maxConcurrency(int value) {
            this.maxConcurrency = value;
            return this;
        }

        /**
         * Whether UNKNOWN counts as FAIL in the report's status and in {@link DbGuard#verifyOrFail()}.
         *
         * @param value {@code true} to fail when a check cannot tell
         * @return this builder
         */
        public Builder unknownIsFailure(boolean value) {
            this.unknownIsFailure = value;
            return this;
        }

        /**
         * The clock checks read time from.
         *
         * @param value the clock
         * @return this builder
         */
        public Builder clock(Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * A secret to mask wherever it appears (the guard already masks the passwords it is given and
         * those of pgjdbc DataSources).
         *
         * @param value the secret
         * @return this builder
         */
        public Builder secret(String value) {
            if (value != null && !value.isEmpty()) {
                secrets.add(value);
            }
            return this;
        }

        /**
         * Validates the configuration and builds the guard.
         *
         * @return the guard
         * @throws DbGuardConfigurationException naming the wrong setting, what was given and what is allowed
         */
        public DbGuard build() {
            JdbcWiring jdbc = new JdbcWiring(dataSource, jdbcUrl, user, password, properties, replicaDataSource,
                    replicaJdbcUrl, replicaUser, replicaPassword, secrets, connectTimeout, checkTimeout);
            requirePositive("checkTimeout", checkTimeout);
            requirePositive("connectTimeout", connectTimeout);
            requirePositive("deadline", deadline);
            DataSource primary = jdbc.primary();
            ConnectionInfo info = jdbc.primaryInfo(primary);
            if (checkTimeout.compareTo(deadline) > 0) {
                throw new DbGuardConfigurationException("checkTimeout (" + checkTimeout + ") must not exceed deadline ("
                        + deadline + "): a check could never finish within the report");
            }
            if (maxConcurrency < 1 || maxConcurrency > 32) {
                throw new DbGuardConfigurationException("maxConcurrency must be 1 to 32, was " + maxConcurrency);
            }
            if (applicationName != null && applicationName.isBlank()) {
                throw new DbGuardConfigurationException("applicationName must not be blank; leave it unset if unknown");
            }
            DataSource replica = jdbc.replica();
            ConnectionInfo replicaInfo = jdbc.replicaInfo(replica);
            List<DatabaseCheck> available = CheckCatalogue.available(checks, added);
            List<DatabaseCheck> selected = CheckCatalogue.select(available, only, excluded);
            Map<String, Map<String, Object>> resolved = SettingsResolution.resolve(available, settings);
            GuardOptions options = new GuardOptions(Optional.ofNullable(applicationName), production, info, replicaInfo);
            SecretMasker masker = jdbc.masker();
            CheckRunner runner = new CheckRunner(new CheckRunner.Settings(primary, replica, resolved, options,
                    checkTimeout, connectTimeout, deadline, maxConcurrency, unknownIsFailure, clock, masker));
            return new DbGuard(List.copyOf(selected), runner, masker, unknownIsFailure, options, primary);
        }

        private static void requirePositive(String name, Duration value) {
            if (value == null || value.isNegative() || value.isZero() || value.compareTo(MAX_BUDGET) > 0) {
                throw new DbGuardConfigurationException(name + " must be a positive duration of at most "
                        + MAX_BUDGET.toHours() + "h, was " + value);
            }
        }
    }
}
