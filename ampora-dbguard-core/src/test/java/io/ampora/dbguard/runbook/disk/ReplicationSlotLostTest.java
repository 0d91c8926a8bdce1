package io.ampora.dbguard.runbook.disk;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import org.junit.jupiter.api.Test;

/** max_slot_wal_keep_size bounds the slot: past it, checkpoints remove its WAL and the slot is lost. */
@WithPostgres(settings = {"max_slot_wal_keep_size=1MB", "min_wal_size=32MB"})
class ReplicationSlotLostTest {

    @Test
    void failsSayingTheConsumerCanNoLongerResumeWhenTheSlotLostItsWal(TestDatabase db) throws Exception {
        db.execute("SELECT pg_create_physical_replication_slot('bounded_standby', true)");
        try {
            Checks.await("the slot to be lost", () -> {
                ReplicationSlotsCheckTest.generateWal(db, 1);
                db.execute("CHECKPOINT");
                return "lost".equals(db.queryString(
                        "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'bounded_standby'"));
            });

            CheckResult result = Checks.run(db.dataSource(), new ReplicationSlotsCheck());

            assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(Checks.withDetail(result, "slot", "bounded_standby")).singleElement().satisfies(f -> {
                assertThat(f.details()).containsEntry("walStatus", "lost")
                        .containsEntry("drop", "SELECT pg_drop_replication_slot('bounded_standby')");
                assertThat(f.message()).startsWith("The physical slot 'bounded_standby' has lost the WAL its consumer needs")
                        .contains("the consumer can no longer resume from it");
                if (db.server().majorVersion() >= 17) {
                    assertThat(f.details()).containsEntry("invalidationReason", "wal_removed");
                }
            });
            assertThat(result.summary()).contains("max_slot_wal_keep_size is 1.0 MB");
            assertThat(result.remediation()).contains("its consumer cannot resume")
                    .doesNotContain("Safety net");
        } finally {
            db.execute("SELECT pg_drop_replication_slot('bounded_standby')");
        }
    }
}
