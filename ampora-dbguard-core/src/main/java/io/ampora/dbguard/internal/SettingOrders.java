package io.ampora.dbguard.internal;

import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.SettingOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a check's {@link SettingOrder}s to the values a user configured: refuses two explicit values
 * in the wrong order, and lets a default follow an explicit value that crosses it.
 */
public final class SettingOrders {

    private static final Logger LOG = LoggerFactory.getLogger(SettingOrders.class);

    private SettingOrders() {
    }

    /**
     * Checks the check's ordered pairs against its explicit values.
     *
     * @param check    the check
     * @param explicit the values set by the user for this check, by setting name, already converted
     * @return the values to run the check with: {@code explicit} plus any default that had to follow an
     *         explicit value (warn = fail)
     * @throws IllegalArgumentException when both values of a pair are set and in the wrong order, or the
     *                                  check orders a setting it does not declare
     */
    public static Map<String, Object> resolve(DatabaseCheck check, Map<String, Object> explicit) {
        Map<String, Object> values = new LinkedHashMap<>(explicit);
        Set<String> declared = check.settings().stream().map(CheckSetting::name).collect(Collectors.toSet());
        for (SettingOrder<?> order : check.settingOrders()) {
            String warn = order.warn().name();
            String fail = order.fail().name();
            if (!declared.contains(warn) || !declared.contains(fail)) {
                throw new IllegalArgumentException("check " + check.id() + " orders " + order
                        + " but does not declare both settings in settings(); its settings: " + declared);
            }
            boolean warnSet = explicit.containsKey(warn);
            boolean failSet = explicit.containsKey(fail);
            if (!warnSet && !failSet) {
                continue;
            }
            Object warnValue = warnSet ? explicit.get(warn) : order.warn().defaultValue();
            Object failValue = failSet ? explicit.get(fail) : order.fail().defaultValue();
            if (order.inOrder(warnValue, failValue)) {
                continue;
            }
            if (warnSet && failSet) {
                throw new IllegalArgumentException(order.violation(check.id(), warnValue, failValue));
            }
            String moved = warnSet ? fail : warn;
            Object to = warnSet ? warnValue : failValue;
            LOG.debug("{}.{} ({}) crosses the default {} ({}); {} follows it", check.id(), warnSet ? warn : fail,
                    order.display(to), moved, order.display(warnSet ? failValue : warnValue), moved);
            values.put(moved, to);
        }
        return values;
    }
}
