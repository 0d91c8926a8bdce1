package io.ampora.dbguard.runbook.locks;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

@WithPostgres
class PreparedTransactionsDisabledTest {

    @Test
    void skipsWithTheReasonWhenMaxPreparedTransactionsIsZero(TestDatabase db) throws Exception {
        Assumptions.assumeTrue("0".equals(db.queryString("SHOW max_prepared_transactions")),
                "the configured server allows prepared transactions");

        CheckResult result = Checks.run(db.dataSource(), new PreparedTransactionsCheck());

        assertThat(result.status()).isEqualTo(CheckStatus.SKIP);
        assertThat(result.summary()).contains("max_prepared_transactions is 0", "cannot hold prepared transactions");
    }
}
