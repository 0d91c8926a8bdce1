package io.ampora.dbguard.spring.boot.autoconfigure;

import io.ampora.dbguard.DbGuardConfigurationException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.core.env.Environment;

/**
 * Refuses a property under {@code ampora.dbguard} that the starter does not know, naming the valid ones:
 * Boot would silently ignore {@code ampora.dbguard.verify-on-statup=false}. Check ids and check setting keys
 * ({@code checks.ID.KEY}, {@code monitor.intervals.ID}, {@code monitor.probes.ID}) are validated by the guard's builder, which knows the
 * checks.
 */
final class DbGuardPropertyNames {

    /** Known names by parent; null for a map whose keys are free (check ids). */
    private static final Map<String, List<String>> KNOWN = new LinkedHashMap<>();

    static {
        KNOWN.put("", List.of("enabled", "verify-on-startup", "production", "application-name", "connect-timeout",
                "check-timeout", "checks", "monitor", "pool", "flyway", "tenant", "metrics", "background-preinitializer"));
        KNOWN.put("monitor", List.of("interval", "intervals", "probes", "fleet", "instance"));
        KNOWN.put("pool", List.of("enabled", "leak-threshold", "instances", "sample-every", "reclaim-unclosed"));
        KNOWN.put("flyway", List.of("enabled", "snapshot", "expect-no-pending", "migration-role"));
        KNOWN.put("tenant", List.of("enabled", "setting"));
        KNOWN.put("metrics", List.of("enabled"));
        KNOWN.put("background-preinitializer", List.of("ignore"));
    }

    private DbGuardPropertyNames() {
    }

    /**
     * @param environment the application's environment
     * @throws DbGuardConfigurationException naming the first unknown property and the valid names beside it
     */
    static void validate(Environment environment) {
        ConfigurationPropertyName prefix = ConfigurationPropertyName.of(DbGuardProperties.PREFIX);
        int depth = prefix.getNumberOfElements();
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            if (!(source instanceof IterableConfigurationPropertySource iterable)) {
                continue;
            }
            for (ConfigurationPropertyName name : (Iterable<ConfigurationPropertyName>) iterable.stream()::iterator) {
                if (!prefix.isAncestorOf(name)) {
                    continue;
                }
                String first = name.getElement(depth, ConfigurationPropertyName.Form.DASHED);
                require("", first, name);
                List<String> children = KNOWN.get(first);
                if (children != null) {
                    if (name.getNumberOfElements() == depth + 1) {
                        throw unknown(name, first, children, "a group: set one of its properties");
                    }
                    require(first, name.getElement(depth + 1, ConfigurationPropertyName.Form.DASHED), name);
                } else if (first.equals("checks") && name.getNumberOfElements() != depth + 3) {
                    throw new DbGuardConfigurationException("Property '" + name + "' must be written "
                            + DbGuardProperties.PREFIX + ".checks.CHECK-ID.KEY, e.g. "
                            + DbGuardProperties.PREFIX + ".checks.blocking-locks.warn-after=10s");
                }
            }
        }
    }

    private static void require(String parent, String element, ConfigurationPropertyName name) {
        List<String> valid = KNOWN.get(parent);
        if (!valid.contains(element)) {
            throw unknown(name, parent, valid, "unknown");
        }
    }

    private static DbGuardConfigurationException unknown(ConfigurationPropertyName name, String parent,
                                                         List<String> valid, String why) {
        String group = DbGuardProperties.PREFIX + (parent.isEmpty() ? "" : "." + parent);
        return new DbGuardConfigurationException("Property '" + name + "' is " + why + "; valid properties under "
                + group + ": " + String.join(", ", new TreeSet<>(valid)));
    }
}
