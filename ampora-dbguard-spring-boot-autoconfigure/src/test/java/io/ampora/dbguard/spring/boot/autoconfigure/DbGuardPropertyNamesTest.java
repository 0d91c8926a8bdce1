package io.ampora.dbguard.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ampora.dbguard.DbGuardConfigurationException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

/**
 * The name check and the properties class stay in step: every property the configuration processor
 * generated metadata for is accepted (a property added without updating the check would stop every
 * application that sets it), and a misspelling is refused with the valid names.
 */
class DbGuardPropertyNamesTest {

    @Test
    void everyGeneratedPropertyIsAcceptedAndAMisspellingIsRefused() throws Exception {
        List<String> names = new ArrayList<>();
        try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            for (JsonNode property : new ObjectMapper().readTree(in).get("properties")) {
                String name = property.get("name").asText();
                if (name.startsWith(DbGuardProperties.PREFIX + ".")) {
                    names.add(name);
                }
            }
        }
        assertThat(names).hasSizeGreaterThan(15).contains("ampora.dbguard.monitor.intervals", "ampora.dbguard.checks");
        for (String name : names) {
            String example = name.endsWith(".checks") ? name + ".blocking-locks.warn-after"
                    : name.endsWith(".intervals") ? name + ".vacuum-health" : name;
            assertThatCode(() -> DbGuardPropertyNames.validate(new MockEnvironment().withProperty(example, "1")))
                    .as(example).doesNotThrowAnyException();
        }
        assertThatThrownBy(() -> DbGuardPropertyNames.validate(
                new MockEnvironment().withProperty("ampora.dbguard.pool.leak-treshold", "1s")))
                .isInstanceOf(DbGuardConfigurationException.class)
                .hasMessageContaining("valid properties under ampora.dbguard.pool: enabled, instances, leak-threshold,"
                        + " reclaim-unclosed, sample-every");
        assertThatThrownBy(() -> DbGuardPropertyNames.validate(
                new MockEnvironment().withProperty("ampora.dbguard.checks.blocking-locks", "1s")))
                .hasMessageContaining("must be written ampora.dbguard.checks.CHECK-ID.KEY");
    }

    @Test
    void kebabCaseKeysBecomeTheChecksCamelCaseSettings() {
        assertThat(DbGuardFactory.camelCase("warn-after")).isEqualTo("warnAfter");
        assertThat(DbGuardFactory.camelCase("fail-p95")).isEqualTo("failP95");
        assertThat(DbGuardFactory.camelCase("warnAfter")).isEqualTo("warnAfter");
    }
}
