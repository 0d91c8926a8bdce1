package io.ampora.dbguard.spring.boot.autoconfigure;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.DbGuardConfigurationException;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.flyway.FlywayGuard;
import io.ampora.dbguard.hikari.GuardedPool;
import io.ampora.dbguard.micrometer.QueryMetrics;
import io.ampora.dbguard.spring.boot.autoconfigure.DbGuardDataSources.Layers;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * Builds the {@link DbGuard} from the properties, the DataSource's layers and the integrations present.
 */
final class DbGuardFactory {

    private static final ClassLoader LOADER = DbGuardFactory.class.getClassLoader();

    private DbGuardFactory() {
    }

    static DbGuard build(DbGuardProperties properties, Layers layers, Environment environment, List<DatabaseCheck> beans) {
        DbGuardPropertyNames.validate(environment);
        DbGuard.Builder guard = DbGuard.builder()
                .production(properties.isProduction())
                .connectTimeout(properties.getConnectTimeout())
                .checkTimeout(properties.getCheckTimeout());
        DbGuardDataSources.target(guard, layers);
        String name = properties.getApplicationName() != null ? properties.getApplicationName()
                : environment.getProperty("spring.application.name");
        if (name != null && !name.isBlank()) {
            guard.applicationName(name);
        }
        if (layers.pool() != null) {
            Pools.checks(layers.pool()).forEach(guard::addCheck);
        }
        if (layers.metrics() != null) {
            guard.addCheck(Metrics.latencyCheck(layers.metrics()));
        }
        if (properties.getFlyway().isEnabled() && ClassUtils.isPresent("org.flywaydb.core.Flyway", LOADER)
                && ClassUtils.isPresent("io.ampora.dbguard.flyway.FlywayGuard", LOADER)
                && environment.getProperty("spring.flyway.enabled", Boolean.class, true)) {
            Migrations.checks(properties.getFlyway(), environment).forEach(guard::addCheck);
        }
        beans.forEach(guard::addCheck);
        for (Map.Entry<String, Map<String, String>> check : properties.getChecks().entrySet()) {
            for (Map.Entry<String, String> setting : check.getValue().entrySet()) {
                guard.set(check.getKey() + "." + camelCase(setting.getKey()), setting.getValue());
            }
        }
        try {
            return guard.build();
        } catch (DbGuardConfigurationException e) {
            throw new DbGuardConfigurationException("Invalid " + DbGuardProperties.PREFIX + " configuration: "
                    + e.getMessage() + " (in properties, write a setting in kebab-case: "
                    + DbGuardProperties.PREFIX + ".checks.blocking-locks.warn-after=10s sets blocking-locks.warnAfter)", e);
        }
    }

    /** {@code warn-after} to {@code warnAfter}; a key already in camelCase stays as it is. */
    /**
     * @param checkId the check id, for the message
     * @param names   the values of {@code monitor.probes.CHECK-ID}: {@code readiness}, {@code startup}, or
     *                {@code none} (an empty value is none too)
     * @return the probes
     * @throws DbGuardConfigurationException naming the property and the values allowed
     */
    static List<Probe> probes(String checkId, List<String> names) {
        List<Probe> probes = new ArrayList<>();
        for (String name : names == null ? List.<String>of() : names) {
            String value = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
            if (value.isEmpty() || value.equals("none")) {
                continue;
            }
            try {
                probes.add(Probe.valueOf(value.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new DbGuardConfigurationException("Property '" + DbGuardProperties.PREFIX + ".monitor.probes."
                        + checkId + "': '" + name + "' is not a probe; use readiness, startup (both: readiness,startup)"
                        + " or none");
            }
        }
        return probes;
    }

    static String camelCase(String kebab) {
        StringBuilder sb = new StringBuilder(kebab.length());
        boolean upper = false;
        for (char c : kebab.toCharArray()) {
            if (c == '-') {
                upper = true;
            } else {
                sb.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return sb.toString();
    }

    private static final class Pools {
        static List<DatabaseCheck> checks(Object pool) {
            return ((GuardedPool) pool).checks();
        }
    }

    private static final class Metrics {
        static DatabaseCheck latencyCheck(Object metrics) {
            return ((QueryMetrics) metrics).latencyCheck();
        }
    }

    /** The migration checks, configured like Boot configures Flyway (spring.flyway.*). */
    private static final class Migrations {
        static List<DatabaseCheck> checks(DbGuardProperties.Flyway properties, Environment environment) {
            Binder binder = Binder.get(environment);
            List<String> locations = binder.bind("spring.flyway.locations", Bindable.listOf(String.class))
                    .orElse(List.of("classpath:db/migration"));
            List<String> schemas = new ArrayList<>();
            binder.bind("spring.flyway.default-schema", String.class).ifBound(schemas::add);
            binder.bind("spring.flyway.schemas", Bindable.listOf(String.class)).ifBound(list ->
                    list.stream().filter(s -> !schemas.contains(s)).forEach(schemas::add));
            FlywayGuard.Builder flyway = FlywayGuard.custom()
                    .locations(locations.toArray(String[]::new))
                    .table(binder.bind("spring.flyway.table", String.class).orElse(FlywayGuard.DEFAULT_TABLE))
                    .schemas(schemas.toArray(String[]::new))
                    .expectNoPending(properties.isExpectNoPending());
            if (properties.getSnapshot() != null) {
                flyway.schemaSnapshotResource(properties.getSnapshot());
            }
            if (properties.getMigrationRole() != null) {
                flyway.migrationRole(properties.getMigrationRole());
            }
            return flyway.build().checks();
        }
    }
}
