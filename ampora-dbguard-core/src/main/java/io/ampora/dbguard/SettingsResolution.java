package io.ampora.dbguard;

import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.internal.SettingOrders;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Turns the builder's {@code set("check-id.key", value)} entries into typed values per check: names
 * checked, values parsed and validated, warn/fail pairs ordered (see {@link io.ampora.dbguard.check.SettingOrder}).
 */
final class SettingsResolution {

    private SettingsResolution() {
    }

    /**
     * Resolves the settings against every available check, so that a setting of a check left out by
     * only/exclude is still checked for typos but does not make the configuration invalid.
     *
     * @param available the available checks
     * @param settings  qualified key ({@code check-id.key}) to the value given
     * @return check id to key to typed value, for the checks that have explicit settings
     * @throws DbGuardConfigurationException naming the wrong setting, what was given and what is allowed
     */
    static Map<String, Map<String, Object>> resolve(List<DatabaseCheck> available, Map<String, Object> settings) {
        Map<String, DatabaseCheck> byId = new TreeMap<>();
        available.forEach(c -> byId.put(c.id(), c));
        Map<String, Map<String, Object>> resolved = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : settings.entrySet()) {
            String qualified = e.getKey();
            int dot = qualified.indexOf('.');
            if (dot <= 0 || dot == qualified.length() - 1) {
                throw new DbGuardConfigurationException("Setting '" + qualified
                        + "' must be written CHECK-ID.KEY, e.g. connection-headroom.warnPercent");
            }
            String id = qualified.substring(0, dot);
            String key = qualified.substring(dot + 1);
            DatabaseCheck check = byId.get(id);
            if (check == null) {
                throw new DbGuardConfigurationException("Setting '" + qualified + "' names unknown check '" + id
                        + "'; valid ids: " + String.join(", ", byId.keySet()));
            }
            CheckSetting<?> setting = check.settings().stream().filter(s -> s.name().equals(key)).findFirst()
                    .orElseThrow(() -> new DbGuardConfigurationException("Check '" + id + "' has no setting '" + key
                            + "'; its settings: " + describe(check.settings())));
            try {
                resolved.computeIfAbsent(id, k -> new LinkedHashMap<>()).put(key, setting.convert(e.getValue()));
            } catch (IllegalArgumentException ex) {
                throw new DbGuardConfigurationException("Setting '" + qualified + "': " + ex.getMessage(), ex);
            }
        }
        // Warn/fail pairs: two explicit values in the wrong order are refused; one explicit value that
        // crosses the other's default pulls that default along (see SettingOrder).
        for (DatabaseCheck check : byId.values()) {
            Map<String, Object> explicit = resolved.getOrDefault(check.id(), Map.of());
            if (explicit.isEmpty() || check.settingOrders().isEmpty()) {
                continue;
            }
            try {
                resolved.put(check.id(), SettingOrders.resolve(check, explicit));
            } catch (IllegalArgumentException ex) {
                throw new DbGuardConfigurationException(ex.getMessage(), ex);
            }
        }
        return resolved;
    }

    private static String describe(List<CheckSetting<?>> settings) {
        if (settings.isEmpty()) {
            return "(none)";
        }
        return settings.stream().map(s -> s.name() + " (" + s.type().allowed() + ", default "
                + s.defaultValue() + ")").collect(Collectors.joining(", "));
    }
}
