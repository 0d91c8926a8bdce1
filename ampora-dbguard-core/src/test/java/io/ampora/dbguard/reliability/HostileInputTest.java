package io.ampora.dbguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.DbGuardConfigurationException;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.DatabaseCheck;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Hostile and careless builder input fails at build() with a {@link DbGuardConfigurationException} that
 * names the setting and what is allowed; never a stack trace from deep inside, never at report time.
 * Every setting of every discovered check gets the same garbage, so later checks are covered too.
 * (Single cases already in DbGuardBuilderTest are not repeated here.)
 */
class HostileInputTest {

    private static final String URL = "jdbc:postgresql://localhost:5432/orders";

    /** Values no setting of a non-text type may accept. */
    private static final List<Object> GARBAGE = List.of("", "   ", "-5", "-1ms", "abc", "NaN", "Infinity", "1e999",
            "99999999999999999999999999", "5 parsecs", "PT", "P-1D", "0x10", "50%%", "\u0000", "true false");

    @TestFactory
    Stream<DynamicTest> everySettingOfEveryCheckRejectsGarbageNamingTheSettingAndTheAllowedValues() {
        List<DynamicTest> tests = new ArrayList<>();
        for (DatabaseCheck check : DbGuard.discoverChecks()) {
            for (CheckSetting<?> setting : check.settings()) {
                if (setting.type() == CheckSetting.Type.TEXT) {
                    continue;
                }
                String key = check.id() + "." + setting.name();
                for (Object bad : GARBAGE) {
                    if (setting.type() == CheckSetting.Type.BOOLEAN && bad.equals("")) {
                        continue;
                    }
                    tests.add(DynamicTest.dynamicTest(key + " = '" + bad + "'", () -> {
                        Throwable e = catchThrowable(() -> DbGuard.builder().jdbcUrl(URL).set(key, bad).build());
                        assertThat(e).as("%s = '%s' must be refused", key, bad)
                                .isInstanceOf(DbGuardConfigurationException.class);
                        assertThat(e.getMessage()).contains("'" + key + "'").contains(setting.type().allowed());
                    }));
                }
                tests.add(DynamicTest.dynamicTest(key + " = null", () -> {
                    Throwable e = catchThrowable(() -> DbGuard.builder().jdbcUrl(URL).set(key, null).build());
                    assertThat(e).isInstanceOf(DbGuardConfigurationException.class);
                    assertThat(e.getMessage()).contains(key);
                }));
            }
        }
        return tests.stream();
    }

    @Test
    void invalidUrlsAreRefusedWithTheExpectedForm() {
        // ("jdbc:postgresql:" alone is valid pgjdbc: localhost:5432, database named after the user.)
        for (String url : List.of("", "   ", "jdbc:postgresql://host:notaport/db", "jdbc:postgresql://host:99999/db",
                "jdbc:postgres://host/db", "localhost:5432")) {
            refused(b -> b.jdbcUrl(url), "jdbcUrl", "jdbc:postgresql://host");
        }
        refused(b -> b.jdbcUrl("postgres://app@db.internal:5432/orders"), "jdbcUrl", "libpq URI");
        refused(b -> b.jdbcUrl("jdbc:postgresql://host/db?sslmode=sometimes"), "sslmode 'sometimes'", "verify-full");
        refused(b -> b.connectionProperty("sslmode", "yes"), "sslmode 'yes'", "disable, allow, prefer");
    }

    @Test
    void absurdBudgetsAreRefusedNamingTheSetting() {
        refused(b -> b.deadline(Duration.ofSeconds(-1)), "deadline", "positive duration");
        refused(b -> b.checkTimeout(Duration.ofNanos(-1)), "checkTimeout", "positive duration");
        refused(b -> b.connectTimeout(null), "connectTimeout", "positive duration");
        refused(b -> b.deadline(Duration.ofDays(365 * 400)), "deadline", "at most 24h");
        refused(b -> b.deadline(Duration.ofSeconds(Long.MAX_VALUE)).checkTimeout(Duration.ofSeconds(Long.MAX_VALUE)),
                "checkTimeout", "at most 24h");
        refused(b -> b.maxConcurrency(Integer.MAX_VALUE), "maxConcurrency", "1 to 32");
        refused(b -> b.maxConcurrency(-3), "maxConcurrency", "1 to 32");
        refused(b -> b.applicationName(""), "applicationName", "blank");
    }

    @Test
    void malformedSettingKeysAndIdsAreRefusedListingTheValidOnes() {
        refused(b -> b.set("", "5"), "''", "CHECK-ID.KEY");
        refused(b -> b.set("connection-headroom", "5"), "connection-headroom", "CHECK-ID.KEY");
        refused(b -> b.set("connection-headroom.", "5"), "connection-headroom.", "CHECK-ID.KEY");
        refused(b -> b.set(".warnPercent", "5"), ".warnPercent", "CHECK-ID.KEY");
        refused(b -> b.set("CONNECTION-HEADROOM.warnPercent", "5"), "CONNECTION-HEADROOM", "valid ids");
        refused(b -> b.only(List.of("")), "''", "valid ids");
        refused(b -> b.exclude(List.of("connectivity; DROP TABLE x")), "connectivity; DROP TABLE x", "valid ids");
    }

    @Test
    void aGuardThatBuiltNeverFailsAtReportTimeForItsOwnConfiguration() {
        // The largest budgets the builder accepts must not overflow in the runner (nanoseconds, int millis).
        DbGuard guard = DbGuard.builder().jdbcUrl("jdbc:postgresql://127.0.0.1:1/none").deadline(Duration.ofHours(24))
                .checkTimeout(Duration.ofHours(24)).connectTimeout(Duration.ofSeconds(1)).build();
        var report = guard.report();
        assertThat(report.result("connectivity").orElseThrow().summary()).contains("nothing is listening");
    }

    private static void refused(Consumer<DbGuard.Builder> config, String names, String allowed) {
        DbGuard.Builder b = DbGuard.builder().jdbcUrl(URL);
        Throwable e = catchThrowable(() -> {
            config.accept(b);
            b.build();
        });
        assertThat(e).as("must be refused at build(): %s", names).isInstanceOf(DbGuardConfigurationException.class);
        assertThat(e.getMessage()).as("names the setting").contains(names);
        assertThat(e.getMessage()).as("says what is allowed").containsIgnoringCase(allowed);
    }
}
