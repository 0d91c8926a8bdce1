package io.ampora.dbguard.rls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The default validator accepts exactly the canonical UUIDs a {@code uuid} column accepts in that form. */
class TenantIdValidatorTest {

    /** The definition the validator implements, as a regular expression: the oracle for the written-out check. */
    private static final Pattern CANONICAL =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    @Test
    void acceptsCanonicalUuidsInEitherCaseAndRefusesEverythingElse() {
        TenantIdValidator uuid = TenantIdValidator.uuid();
        String id = UUID.randomUUID().toString();
        uuid.validate(id);
        uuid.validate(id.toUpperCase());
        for (String refused : List.of("", id.replace("-", ""), "{" + id + "}", id + " ", " " + id, id.substring(1),
                id.replace('-', '_'), id.substring(0, 35) + "g", "g" + id.substring(1), "11111111-1111-1111-1111-11111111111\u0661")) {
            assertThatThrownBy(() -> uuid.validate(refused)).as(refused)
                    .isInstanceOf(InvalidTenantIdException.class).hasMessageContaining("not a canonical UUID");
        }
    }

    @Test
    void decidesLikeTheCanonicalPatternOnMutatedIds() {
        TenantIdValidator uuid = TenantIdValidator.uuid();
        Random random = new Random(20261206);
        String alphabet = "0123456789abcdefABCDEFgG-_ {}\u0000\u00e9";
        List<String> samples = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            char[] chars = UUID.randomUUID().toString().toCharArray();
            int changes = random.nextInt(3);
            for (int c = 0; c < changes; c++) {
                chars[random.nextInt(chars.length)] = alphabet.charAt(random.nextInt(alphabet.length()));
            }
            String sample = new String(chars);
            samples.add(random.nextInt(50) == 0 ? sample.substring(0, random.nextInt(36)) : sample);
        }
        int accepted = 0;
        for (String sample : samples) {
            boolean expected = CANONICAL.matcher(sample).matches();
            boolean actual;
            try {
                uuid.validate(sample);
                actual = true;
            } catch (InvalidTenantIdException e) {
                actual = false;
            }
            assertThat(actual).as(sample).isEqualTo(expected);
            accepted += actual ? 1 : 0;
        }
        // both outcomes were exercised
        assertThat(accepted).isBetween(1_000, samples.size() - 1_000);
    }
}
