package io.ampora.dbguard.runbook.maintenance;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.util.List;
import org.junit.jupiter.api.Test;

@WithPostgres
class TxidWraparoundCheckTest {

    @Test
    void reportsEveryDatabasePastTheThresholdWithItsOldestTables(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE \"Frozen \"\"Rows\"\"\" (id int)");
        try (java.sql.Connection c = db.dataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
            for (int i = 0; i < 30; i++) {
                st.execute("SELECT txid_current()"); // autocommit: one transaction ID each
            }
        }
        // 0.000001% of 2^31 is about 21 transactions: the 30 above age every database past it.
        CheckResult result = DbGuard.builder().dataSource(db.dataSource()).checks(List.of(new TxidWraparoundCheck()))
                .set("txid-wraparound.warnPercent", "0.0000001").set("txid-wraparound.failPercent", "0.000001")
                .build().report().result("txid-wraparound").orElseThrow();

        assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(result.findings()).anySatisfy(f -> {
            assertThat(f.details()).containsEntry("database", db.name()).containsEntry("autovacuumFreezeMaxAge", 200000000L);
            assertThat((Long) f.details().get("xidAge")).isGreaterThanOrEqualTo(30L);
            assertThat((String) f.details().get("oldestTables")).contains("(");
            assertThat(f.message()).startsWith("Database " + db.name() + " has unfrozen rows ");
        });
        assertThat(result.findings()).anySatisfy(f -> assertThat(f.details()).containsEntry("database", "template1"));
        assertThat(result.remediation()).contains("pg_prepared_xacts", "VACUUM (FREEZE, VERBOSE)");
    }

    @Test
    void staysQuietOnAHealthyServer(TestDatabase db) {
        CheckResult result = DbGuard.builder().dataSource(db.dataSource()).checks(List.of(new TxidWraparoundCheck()))
                .build().report().result("txid-wraparound").orElseThrow();

        assertThat(result.status()).isEqualTo(CheckStatus.PASS);
        assertThat(result.findings()).isEmpty();
        assertThat(result.summary()).startsWith("The oldest database, ").contains("of the 2^31 wraparound limit",
                "autovacuum_freeze_max_age is 200,000,000");
    }
}
