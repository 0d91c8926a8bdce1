package io.ampora.dbguard.runbook.locks;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Only {@code failAfter} set, below the default {@code warnAfter}: the default follows it down, so the
 * check FAILs past the explicit value. Without the rule these sessions would be under the default
 * warnAfter (1 minute, 5 minutes) and the check would PASS.
 */
@WithPostgres
class LoneFailAfterTest {

    @Test
    void idleInTransactionFailsPastALoneFailAfterBelowTheDefaultWarnAfter(TestDatabase db) throws Exception {
        try (LockScenario scenario = new LockScenario(db)) {
            int pid = scenario.hold("psql", "SELECT 42");
            Thread.sleep(1_200);

            CheckResult result = DbGuard.builder().dataSource(db.dataSource())
                    .checks(List.of(new IdleInTransactionCheck()))
                    .set("idle-in-transaction.failAfter", "500ms")
                    .build().report().result("idle-in-transaction").orElseThrow();

            assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(result.findings()).singleElement().satisfies(f -> assertThat(f.details())
                    .containsEntry("pid", pid)
                    .containsEntry("state", "idle in transaction")
                    .containsEntry("query", "SELECT 42")
                    .containsEntry("terminate", "SELECT pg_terminate_backend(" + pid + ")"));
            // warnAfter followed failAfter down: the summary names 500ms, not the 1m00s default
            assertThat(result.summary()).contains("500ms").doesNotContain("1m00s");
        }
    }

    @Test
    void longTransactionFailsPastALoneFailAfterBelowTheDefaultWarnAfter(TestDatabase db) throws Exception {
        try (LockScenario scenario = new LockScenario(db)) {
            int pid = scenario.hold("psql", "SELECT 43");
            Thread.sleep(1_200);

            CheckResult result = DbGuard.builder().dataSource(db.dataSource())
                    .checks(List.of(new LongTransactionsCheck()))
                    .set("long-transactions.failAfter", "500ms")
                    .build().report().result("long-transactions").orElseThrow();

            assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(result.findings()).singleElement().satisfies(f -> assertThat(f.details())
                    .containsEntry("pid", pid)
                    .containsEntry("query", "SELECT 43"));
            assertThat(result.summary()).startsWith("1 transaction has been open longer than 500ms");
        }
    }
}
