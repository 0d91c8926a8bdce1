package io.ampora.dbguard.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.report.Report;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Every scenario leaves the demo database healthy for the next one, and on a healthy demo database every
 * check is quiet (PASS or SKIP): a scenario's diagnosis is caused by the scenario, not by the setup.
 */
class DemoScenarioCleanupTest {

    @Test
    void theDatabaseIsHealthyBeforeAndAfterEveryScenario() throws Exception {
        try (DemoEnvironment env = DemoEnvironment.start()) {
            assertThat(noisy(env)).as("before any scenario").isEmpty();
            for (Scenario s : Scenarios.all()) {
                Report broken = s.reproduce(env);
                env.takeNotes();
                assertThat(broken.result(s.expectedCheck()).map(CheckResult::status).orElseThrow())
                        .as(s.name()).isIn(CheckStatus.WARN, CheckStatus.FAIL);
                assertThat(noisy(env)).as("after scenario " + s.name()).isEmpty();
            }
        }
    }

    private static List<String> noisy(DemoEnvironment env) {
        // generous timeouts: on a loaded CI machine a slow check must not pass for a noisy one
        return env.guardAsApp().checkTimeout(Duration.ofSeconds(30)).deadline(Duration.ofSeconds(60)).build().report()
                .checks().stream()
                .filter(r -> r.status() != CheckStatus.PASS && r.status() != CheckStatus.SKIP)
                .map(r -> r.checkId() + " " + r.status() + ": " + r.summary())
                .collect(Collectors.toList());
    }
}
