package io.ampora.dbguard.examples.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.io.PrintWriter;
import java.io.StringWriter;
import io.ampora.dbguard.check.DatabaseCheck;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** The doctor's --set goes through the builder, so a warn/fail pair in the wrong order is a usage error. */
@WithPostgres
class DoctorSettingOrderTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int doctor(String... args) {
        return Doctor.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void refusesAWarnAfterAboveTheFailAfterWithExitTwoAndTheFix(TestDatabase db) {
        int exit = doctor("--jdbc-url", db.jdbcUrl(), "--user", "postgres",
                "--set", "blocking-locks.warnAfter=10s", "--set", "blocking-locks.failAfter=5s");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("doctor: warnAfter (10s) must not be above failAfter (5s) for check"
                + " blocking-locks: lower warnAfter or raise failAfter");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void acceptsALoneFailAfterBelowTheDefaultWarnAfter(TestDatabase db) {
        int exit = doctor("--jdbc-url", db.jdbcUrl(), "--user", "postgres", "--check", "blocking-locks",
                "--set", "blocking-locks.failAfter=1s");

        assertThat(err.toString()).isEmpty();
        assertThat(exit).isZero();
        assertThat(out.toString()).contains("blocking-locks");
    }

    @Test
    void listChecksShowsEveryDefaultAsItIsTypedAndThePairsInOrder() {
        int exit = doctor("--list-checks");

        assertThat(exit).isZero();
        String listing = out.toString();
        assertThat(listing).contains("--set slow-queries.warnMean=<", "(default 100ms)", "(default 1s)")
                .contains("warnAfter <= failAfter", "warnFreePercent >= failFreePercent")
                .doesNotContain("(default PT");

        // every default shown can be pasted back into --set (the module checks' ones with their module, below)
        Set<String> discovered = DbGuard.discoverChecks().stream()
                .map(DatabaseCheck::id).collect(Collectors.toSet());
        Matcher m = Pattern.compile("--set (\\S+)=<[^>]*> \\(default ([^)]*)\\)").matcher(listing);
        int pasted = 0;
        while (m.find()) {
            if (!discovered.contains(m.group(1).substring(0, m.group(1).indexOf('.')))) {
                continue;
            }
            DbGuard.builder().dataSource(new PGSimpleDataSource())
                    .set(m.group(1), m.group(2)).build();
            pasted++;
        }
        assertThat(pasted).isGreaterThan(30);
    }
}
