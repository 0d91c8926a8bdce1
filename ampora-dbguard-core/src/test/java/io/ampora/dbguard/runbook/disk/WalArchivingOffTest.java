package io.ampora.dbguard.runbook.disk;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

@WithPostgres
class WalArchivingOffTest {

    @Test
    void skipsWithTheReasonWhenArchivingIsOff(TestDatabase db) throws Exception {
        Assumptions.assumeTrue("off".equals(db.queryString("SHOW archive_mode")), "the configured server archives");

        CheckResult result = Checks.run(db.dataSource(), new WalArchivingCheck());

        assertThat(result.status()).isEqualTo(CheckStatus.SKIP);
        assertThat(result.summary()).startsWith("archive_mode is off: WAL archiving is not enabled");
    }
}
