package io.ampora.dbguard.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SecretMaskerTest {

    @Test
    void masksPasswordParametersInUrls() {
        assertThat(SecretMasker.patternsOnly().mask("jdbc:postgresql://db/x?user=a&password=s3cr3t&ssl=true"))
                .isEqualTo("jdbc:postgresql://db/x?user=a&password=****&ssl=true");
    }

    @Test
    void masksUserInfoInUrls() {
        assertThat(SecretMasker.patternsOnly().mask("postgresql://alice:s3cr3t@db:5432/x"))
                .isEqualTo("postgresql://alice:****@db:5432/x");
    }

    @Test
    void masksPropertyDumpsAndKnownSecretsAnywhere() {
        SecretMasker masker = SecretMasker.of(List.of("hunter2"));

        assertThat(masker.mask("{user=a, password=hunter2}")).isEqualTo("{user=a, password=****}");
        assertThat(masker.mask("FATAL: role hunter2 failed")).isEqualTo("FATAL: role **** failed");
    }
}
