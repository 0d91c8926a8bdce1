package io.ampora.dbguard.examples.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The doctor with a wrong password read from an environment variable (--password-env), on a server that
 * demands passwords: the password appears in no output, no log line and no error, in text or JSON. And
 * careless input (empty values, garbage settings and durations) is a usage error naming the option.
 */
@WithPostgres(passwordAuth = true)
class DoctorSecretAndInputTest {

    private static final String VARIABLE = "AMPORA_DOCTOR_TEST_PASSWORD";

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int doctor(String... args) {
        return Doctor.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void passwordFromTheEnvironmentNeverLeaksInAnyFormatOrLog(TestDatabase db) throws Exception {
        String secret = System.getenv(VARIABLE);
        Assumptions.assumeTrue(secret != null && !secret.isEmpty(), VARIABLE + " is set by the module's surefire config");
        db.createRole("doctor_leak", "the-right-one", "");
        int[] exits = new int[2];
        String logs = io.ampora.dbguard.testing.Stderr.captureLogs(() -> {
            exits[0] = doctor("--jdbc-url", db.jdbcUrl(), "--user", "doctor_leak", "--password-env", VARIABLE);
            exits[1] = doctor("--jdbc-url", db.jdbcUrl(), "--user", "doctor_leak", "--password-env", VARIABLE, "--format", "json");
            doctor("--jdbc-url", db.jdbcUrl() + "?password=" + secret, "--user", "doctor_leak");
            doctor("--jdbc-url", "postgres://doctor_leak:" + secret + "@localhost/x");
        });
        int text = exits[0];
        int json = exits[1];
        String everything = out + "\n" + err + "\n" + logs;
        System.out.println(everything);
        assertThat(text).isEqualTo(1);
        assertThat(json).isEqualTo(1);
        assertThat(everything).contains("log capture is on").contains("password authentication failed")
                .doesNotContain(secret);
    }

    @Test
    void emptyAndGarbageValuesAreUsageErrorsNamingTheOption(TestDatabase db) {
        String url = db.jdbcUrl();
        assertUsageError(new String[] {"--jdbc-url", ""}, "jdbcUrl");
        assertUsageError(new String[] {"--jdbc-url", "postgres://localhost/x"}, "libpq URI");
        assertUsageError(new String[] {"--jdbc-url", url, "--set", "=5"}, "ID.KEY=VALUE");
        assertUsageError(new String[] {"--jdbc-url", url, "--set", "connection-headroom.warnPercent="}, "a percentage from 0 to 100");
        assertUsageError(new String[] {"--jdbc-url", url, "--set", "connection-headroom.warnPercent=-5"}, "a percentage from 0 to 100");
        assertUsageError(new String[] {"--jdbc-url", url, "--deadline", "-5s"}, "--deadline");
        assertUsageError(new String[] {"--jdbc-url", url, "--deadline", "100000d"}, "deadline");
        assertUsageError(new String[] {"--jdbc-url", url, "--check", ""}, "Unknown check id ''");
        assertUsageError(new String[] {"--jdbc-url", url, "--app-name", " "}, "applicationName");
        assertUsageError(new String[] {"--jdbc-url", url, "--format", "yaml"}, "--format");
    }

    private void assertUsageError(String[] args, String names) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        int exit = doctor(args);
        assertThat(exit).as("exit code of %s", String.join(" ", args)).isEqualTo(2);
        assertThat(err.toString()).as("error of %s", String.join(" ", args)).contains(names)
                .doesNotContain("\tat ").doesNotContain("Exception in");
    }
}
