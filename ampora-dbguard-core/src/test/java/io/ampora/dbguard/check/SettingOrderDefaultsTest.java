package io.ampora.dbguard.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Every discovered check ships its warn/fail defaults in order and declares every warn/fail pair it has. */
class SettingOrderDefaultsTest {

    private static List<DatabaseCheck> discovered() {
        List<DatabaseCheck> checks = new ArrayList<>();
        ServiceLoader.load(DatabaseCheck.class).forEach(checks::add);
        return checks;
    }

    @Test
    void everyDeclaredPairHasItsDefaultsInOrderAndNamesSettingsTheCheckDeclares() {
        Map<String, String> pairs = new TreeMap<>();
        for (DatabaseCheck check : discovered()) {
            Set<String> names = check.settings().stream().map(CheckSetting::name).collect(Collectors.toSet());
            for (SettingOrder<?> order : check.settingOrders()) {
                assertThat(order.defaultsInOrder())
                        .as("%s: defaults %s=%s, %s=%s", check.id(), order.warn().name(), order.warn().defaultValue(),
                                order.fail().name(), order.fail().defaultValue())
                        .isTrue();
                assertThat(names).as(check.id() + " settings()").contains(order.warn().name(), order.fail().name());
                pairs.put(check.id(), order.toString());
            }
        }
        assertThat(pairs).containsOnly(
                Map.entry("blocking-locks", "warnAfter <= failAfter"),
                Map.entry("connection-headroom", "warnPercent <= failPercent"),
                Map.entry("disk-usage", "warnFreePercent >= failFreePercent"),
                Map.entry("idle-in-transaction", "warnAfter <= failAfter"),
                // the bloat checks also order warnPercent <= failPercent (one entry per check is kept here)
                Map.entry("index-bloat", "minReclaimableBytes <= failReclaimableBytes"),
                Map.entry("long-transactions", "warnAfter <= failAfter"),
                Map.entry("password-expiry", "warnBefore >= failBefore"),
                Map.entry("prepared-transactions", "warnAfter <= failAfter"),
                Map.entry("replication-slots", "warnAfter <= failAfter"),
                Map.entry("replica-lag", "warnAfter <= failAfter"),
                Map.entry("replication-standbys", "warnAfter <= failAfter"),
                Map.entry("sequence-exhaustion", "warnPercent <= failPercent"),
                Map.entry("slow-queries", "warnMean <= failMean"),
                Map.entry("table-bloat", "minReclaimableBytes <= failReclaimableBytes"),
                Map.entry("txid-wraparound", "warnPercent <= failPercent"));
    }

    @Test
    void everyWarnSettingWithAFailTwinIsDeclaredAsAPair() {
        for (DatabaseCheck check : discovered()) {
            Map<String, CheckSetting<?>> byName = check.settings().stream()
                    .collect(Collectors.toMap(CheckSetting::name, s -> s));
            Set<String> ordered = check.settingOrders().stream().map(o -> o.warn().name() + "/" + o.fail().name())
                    .collect(Collectors.toSet());
            for (CheckSetting<?> warn : check.settings()) {
                if (!warn.name().startsWith("warn")) {
                    continue;
                }
                CheckSetting<?> fail = byName.get("fail" + warn.name().substring(4));
                if (fail != null && fail.type() == warn.type()) {
                    assertThat(ordered).as(check.id() + " declares its pair in settingOrders()")
                            .contains(warn.name() + "/" + fail.name());
                }
            }
        }
    }
}
