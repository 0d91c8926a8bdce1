package io.ampora.dbguard.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ampora.dbguard.check.CheckSetting;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SettingValuesTest {

    @Test
    void parsesDurationsInShortAndIsoForms() {
        assertThat(SettingValues.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(SettingValues.parseDuration("5s")).isEqualTo(Duration.ofSeconds(5));
        assertThat(SettingValues.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(SettingValues.parseDuration("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(SettingValues.parseDuration("PT5S")).isEqualTo(Duration.ofSeconds(5));
        assertThatThrownBy(() -> SettingValues.parseDuration("5 parsecs")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void parsesSizesWithBinaryUnits() {
        assertThat(SettingValues.parseSize("512MB")).isEqualTo(512L * 1024 * 1024);
        assertThat(SettingValues.parseSize("2kB")).isEqualTo(2048L);
        assertThat(SettingValues.parseSize("100")).isEqualTo(100L);
    }

    @Test
    void formatsDurationsForReports() {
        assertThat(SettingValues.format(Duration.ofMillis(850))).isEqualTo("850ms");
        assertThat(SettingValues.format(Duration.ofSeconds(192))).isEqualTo("3m12s");
        assertThat(SettingValues.format(Duration.ofMinutes(125))).isEqualTo("2h05m");
    }

    @Test
    void formatsEveryDurationFormMessagesUse() {
        assertThat(SettingValues.format(Duration.ZERO)).isEqualTo("0ms");
        assertThat(SettingValues.format(Duration.ofNanos(420_000))).isEqualTo("0.42ms");
        assertThat(SettingValues.format(Duration.ofNanos(2_500_000))).isEqualTo("2.5ms");
        assertThat(SettingValues.format(Duration.ofMillis(7))).isEqualTo("7ms");
        assertThat(SettingValues.format(Duration.ofNanos(12_700_000))).isEqualTo("12ms");
        assertThat(SettingValues.format(Duration.ofMillis(9_500))).isEqualTo("9.5s");
        assertThat(SettingValues.format(Duration.ofSeconds(95))).isEqualTo("1m35s");
        assertThat(SettingValues.format(Duration.ofMinutes(5))).isEqualTo("5m00s");
        assertThat(SettingValues.format(Duration.ofSeconds(12))).isEqualTo("12s");
        assertThat(SettingValues.format(Duration.ofHours(76))).isEqualTo("3d04h");
    }

    @Test
    void formatsEverySizeFormMessagesUse() {
        assertThat(SettingValues.formatBytes(512)).isEqualTo("512 B");
        assertThat(SettingValues.formatBytes(1536)).isEqualTo("1.5 kB");
        assertThat(SettingValues.formatBytes(5L << 20)).isEqualTo("5.0 MB");
        assertThat(SettingValues.formatBytes(100L << 20)).isEqualTo("100 MB");
        assertThat(SettingValues.formatBytes(12L << 30)).isEqualTo("12 GB");
        assertThat(SettingValues.formatBytes(3L << 40)).isEqualTo("3.0 TB");
    }

    @Test
    void displaysSettingValuesTheWayTheyAreTyped() {
        assertThat(CheckSetting.Type.DURATION.display(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(CheckSetting.Type.DURATION.display(Duration.ofMinutes(2))).isEqualTo("2m");
        assertThat(CheckSetting.Type.SIZE.display(512L << 20)).isEqualTo("512MB");
        assertThat(CheckSetting.Type.PERCENT.display(82.5)).isEqualTo("82.5");
        assertThat(CheckSetting.Type.PERCENT.display(80.0)).isEqualTo("80");
    }
}
