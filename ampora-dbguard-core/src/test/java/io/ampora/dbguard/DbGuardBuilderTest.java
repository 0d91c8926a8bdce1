package io.ampora.dbguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Configuration mistakes fail at build() with the setting's name and what is allowed. */
class DbGuardBuilderTest {

    private static final String URL = "jdbc:postgresql://localhost:5432/orders";

    @Test
    void refusesAGuardWithoutADatabase() {
        assertThatThrownBy(() -> DbGuard.builder().build())
                .isInstanceOf(DbGuardConfigurationException.class)
                .hasMessageContaining("set dataSource(...) or jdbcUrl(");
    }

    @Test
    void refusesANonPostgresUrlWithoutShowingItsPassword() {
        assertThatThrownBy(() -> DbGuard.builder().jdbcUrl("jdbc:mysql://db/x?password=hunter2").build())
                .isInstanceOf(DbGuardConfigurationException.class)
                .hasMessageContaining("is not a PostgreSQL JDBC URL")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void namesTheValidCheckIdsWhenASettingNamesAnUnknownCheck() {
        assertThatThrownBy(() -> DbGuard.builder().jdbcUrl(URL).set("conection-headroom.warnPercent", "50").build())
                .isInstanceOf(DbGuardConfigurationException.class)
                .hasMessageContaining("unknown check 'conection-headroom'")
                .hasMessageContaining("connection-headroom");
    }

    @Test
    void namesTheValidKeysWhenASettingIsUnknown() {
        assertThatThrownBy(() -> DbGuard.builder().jdbcUrl(URL).set("connection-headroom.warn", "50").build())
                .isInstanceOf(DbGuardConfigurationException.class)
                .hasMessageContaining("has no setting 'warn'")
                .hasMessageContaining("warnPercent (a percentage from 0 to 100, default 80.0)");
    }

    @Test
    void rejectsAPercentageOutOfRange() {
        assertThatThrownBy(() -> DbGuard.builder().jdbcUrl(URL).set("connection-headroom.failPercent", "150").build())
                .isInstanceOf(DbGuardConfigurationException.class)
                .hasMessageContaining("'connection-headroom.failPercent'")
                .hasMessageContaining("a percentage from 0 to 100");
    }

    @Test
    void rejectsACheckTimeoutLongerThanTheDeadline() {
        assertThatThrownBy(() -> DbGuard.builder().jdbcUrl(URL).checkTimeout(Duration.ofSeconds(30)).build())
                .isInstanceOf(DbGuardConfigurationException.class)
                .hasMessageContaining("checkTimeout (PT30S) must not exceed deadline (PT15S)");
    }

    @Test
    void rejectsNonPositiveDurationsAndConcurrency() {
        assertThatThrownBy(() -> DbGuard.builder().jdbcUrl(URL).deadline(Duration.ZERO).build())
                .hasMessageContaining("deadline must be a positive duration");
        assertThatThrownBy(() -> DbGuard.builder().jdbcUrl(URL).maxConcurrency(0).build())
                .hasMessageContaining("maxConcurrency must be 1 to 32, was 0");
    }

    @Test
    void rejectsUnknownIdsInOnlyAndExclude() {
        assertThatThrownBy(() -> DbGuard.builder().jdbcUrl(URL).only(java.util.List.of("nope")).build())
                .hasMessageContaining("Unknown check id 'nope' in only; valid ids: ");
    }

    @Test
    void acceptsSettingsInEveryDocumentedForm() {
        DbGuard guard = DbGuard.builder().jdbcUrl(URL)
                .set("connection-headroom.warnPercent", "50")
                .set("connection-headroom.failPercent", 90)
                .build();

        assertThat(guard.checks()).extracting(c -> c.id()).contains("connectivity", "tls", "connection-headroom");
        assertThat(guard.options().connection().maskedUrl()).isEqualTo(URL);
    }
}
