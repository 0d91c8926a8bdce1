package io.ampora.dbguard.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.examples.doctor.Doctor;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** {@code doctor demo --all}: every scenario is diagnosed by the check that should catch it. */
class DemoAllScenariosTest {

    @Test
    void everyScenarioIsDiagnosedByItsExpectedCheck() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int exit = Doctor.run(new PrintWriter(out, true), new PrintWriter(err, true), "demo", "--all");

        String text = out.toString();
        assertThat(text).contains(Scenarios.all().size() + " of " + Scenarios.all().size() + " scenarios diagnosed");
        for (Scenario s : Scenarios.all()) {
            assertThat(text).containsPattern("(?m)^" + s.name() + " .* " + s.expectedCheck() + " +(WARN|FAIL) +yes$");
        }
        assertThat(exit).isZero();
    }

    @Test
    void listNamesEveryScenarioWithItsRunbookSection() {
        StringWriter out = new StringWriter();

        int exit = Doctor.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), "demo", "--list");

        assertThat(exit).isZero();
        assertThat(out.toString()).contains("wrong-password").contains("1. Cannot connect");
    }

    @Test
    void unknownScenarioIsAUsageError() {
        StringWriter err = new StringWriter();

        int exit = Doctor.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "demo", "--scenario", "nope");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown scenario 'nope'").contains("refused");
    }
}
