package io.ampora.dbguard.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.DbGuardConfigurationException;
import io.ampora.dbguard.internal.SettingOrders;
import io.ampora.dbguard.runbook.connections.ConnectionHeadroomCheck;
import io.ampora.dbguard.runbook.disk.DiskUsageCheck;
import io.ampora.dbguard.runbook.locks.BlockingLocksCheck;
import io.ampora.dbguard.runbook.locks.LongTransactionsCheck;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Warn/fail pairs in the wrong order fail at build(), naming the check, both settings, values and the fix. */
class SettingOrderBuildTest {

    private static final String URL = "jdbc:postgresql://localhost:5432/orders";

    @Test
    void refusesAWarnAfterAboveItsFailAfter() {
        assertThatThrownBy(() -> DbGuard.builder().jdbcUrl(URL)
                .set("blocking-locks.warnAfter", "10s").set("blocking-locks.failAfter", "5s").build())
                .isInstanceOf(DbGuardConfigurationException.class)
                .hasMessageStartingWith("warnAfter (10s) must not be above failAfter (5s) for check blocking-locks:"
                        + " lower warnAfter or raise failAfter");
    }

    @Test
    void refusesAWarnPercentAboveItsFailPercent() {
        assertThatThrownBy(() -> DbGuard.builder().jdbcUrl(URL)
                .set("connection-headroom.warnPercent", "96").set("connection-headroom.failPercent", 90.5).build())
                .isInstanceOf(DbGuardConfigurationException.class)
                .hasMessageStartingWith("warnPercent (96) must not be above failPercent (90.5) for check"
                        + " connection-headroom: lower warnPercent or raise failPercent");
    }

    @Test
    void refusesAFreeSpaceWarningBelowItsFailureBecauseLessFreeSpaceIsWorse() {
        assertThatThrownBy(() -> DbGuard.builder().jdbcUrl(URL)
                .set("disk-usage.warnFreePercent", "5").set("disk-usage.failFreePercent", "10").build())
                .isInstanceOf(DbGuardConfigurationException.class)
                .hasMessageStartingWith("warnFreePercent (5) must not be below failFreePercent (10) for check"
                        + " disk-usage: raise warnFreePercent or lower failFreePercent");
        // the same numbers the other way round are the right order for a free-space threshold
        assertThat(DbGuard.builder().jdbcUrl(URL)
                .set("disk-usage.warnFreePercent", "10").set("disk-usage.failFreePercent", "5").build()).isNotNull();
    }

    @Test
    void refusesAWarnSizeAboveItsFailSize() {
        // no shipped check has a size pair yet (disk-usage has failFreeBytes alone): a check of the test's own
        assertThatThrownBy(() -> DbGuard.builder().jdbcUrl(URL).addCheck(new WalSizeCheck())
                .set("wal-size.warnBytes", "2GB").set("wal-size.failBytes", "512MB").build())
                .isInstanceOf(DbGuardConfigurationException.class)
                .hasMessageStartingWith("warnBytes (2GB) must not be above failBytes (512MB) for check wal-size:"
                        + " lower warnBytes or raise failBytes");
    }

    @Test
    void refusesTheWrongOrderEvenWhenTheValuesAreJavaValues() {
        assertThatThrownBy(() -> DbGuard.builder().jdbcUrl(URL)
                .set("long-transactions.warnAfter", Duration.ofMinutes(90))
                .set("long-transactions.failAfter", Duration.ofMillis(1500)).build())
                .isInstanceOf(DbGuardConfigurationException.class)
                .hasMessageStartingWith("warnAfter (90m) must not be above failAfter (1500ms) for check long-transactions");
    }

    @Test
    void acceptsEqualThresholdsAndPairsInOrder() {
        assertThat(DbGuard.builder().jdbcUrl(URL)
                .set("blocking-locks.warnAfter", "5s").set("blocking-locks.failAfter", "5s")
                .set("connection-headroom.warnPercent", "50").set("connection-headroom.failPercent", "60")
                .build()).isNotNull();
    }

    @Test
    void aLoneFailAfterBelowTheDefaultWarnAfterPullsWarnAfterDownToIt() {
        Map<String, Object> values = SettingOrders.resolve(new BlockingLocksCheck(),
                Map.of("failAfter", Duration.ofSeconds(1)));

        assertThat(values).containsEntry("failAfter", Duration.ofSeconds(1))
                .containsEntry("warnAfter", Duration.ofSeconds(1));
    }

    @Test
    void aLoneWarnAfterAboveTheDefaultFailAfterPullsFailAfterUpToIt() {
        Map<String, Object> values = SettingOrders.resolve(new LongTransactionsCheck(),
                Map.of("warnAfter", Duration.ofHours(1)));

        assertThat(values).containsEntry("warnAfter", Duration.ofHours(1))
                .containsEntry("failAfter", Duration.ofHours(1));
    }

    @Test
    void aLoneValueThatDoesNotCrossLeavesTheOtherDefaultAlone() {
        assertThat(SettingOrders.resolve(new ConnectionHeadroomCheck(), Map.of("failPercent", 85.0)))
                .containsExactly(Map.entry("failPercent", 85.0));
    }

    @Test
    void aLoneFreeSpaceFailureAboveTheDefaultWarningPullsTheWarningUp() {
        assertThat(SettingOrders.resolve(new DiskUsageCheck(), Map.of("failFreePercent", 30.0)))
                .containsEntry("failFreePercent", 30.0).containsEntry("warnFreePercent", 30.0);
    }

    @Test
    void aLoneSizeCrossingTheOtherDefaultPullsItAlong() {
        assertThat(SettingOrders.resolve(new WalSizeCheck(), Map.of("failBytes", 1024L)))
                .containsEntry("failBytes", 1024L).containsEntry("warnBytes", 1024L);
    }

    @Test
    void refusesACheckThatOrdersASettingItDoesNotDeclare() {
        DatabaseCheck broken = new WalSizeCheck() {
            @Override
            public List<CheckSetting<?>> settings() {
                return List.of(WARN_BYTES);
            }
        };
        assertThatThrownBy(() -> DbGuard.builder().jdbcUrl(URL).addCheck(broken)
                .set("wal-size.warnBytes", "1GB").build())
                .isInstanceOf(DbGuardConfigurationException.class)
                .hasMessageContaining("check wal-size orders warnBytes <= failBytes but does not declare both settings");
    }

    @Test
    void refusesAnOrderBetweenSettingsOfDifferentTypes() {
        CheckSetting<Long> count = CheckSetting.count("failCount", 3, "");
        assertThatThrownBy(() -> SettingOrder.higherIsWorse(WalSizeCheck.WARN_BYTES, count))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("warnBytes is SIZE, failCount is COUNT");
    }

    /** A check with a size pair, as a future WAL or table-size check would declare it. */
    static class WalSizeCheck implements DatabaseCheck {
        static final CheckSetting<Long> WARN_BYTES = CheckSetting.size("warnBytes", 1L << 30, "WAL size from which to warn");
        static final CheckSetting<Long> FAIL_BYTES = CheckSetting.size("failBytes", 4L << 30, "WAL size from which to fail");

        @Override
        public String id() {
            return "wal-size";
        }

        @Override
        public RunbookSection runbook() {
            return RunbookSection.values()[0];
        }

        @Override
        public String description() {
            return "test check with a size pair";
        }

        @Override
        public List<CheckSetting<?>> settings() {
            return List.of(WARN_BYTES, FAIL_BYTES);
        }

        @Override
        public List<SettingOrder<?>> settingOrders() {
            return List.of(SettingOrder.higherIsWorse(WARN_BYTES, FAIL_BYTES));
        }

        @Override
        public CheckResult run(CheckContext context) {
            throw new UnsupportedOperationException("never run");
        }
    }
}
