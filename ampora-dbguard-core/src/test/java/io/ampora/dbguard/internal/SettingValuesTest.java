package io.ampora.dbguard.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
