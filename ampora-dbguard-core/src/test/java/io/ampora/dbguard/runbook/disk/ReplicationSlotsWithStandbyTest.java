package io.ampora.dbguard.runbook.disk;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.StreamingReplica;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** replication-slots against a real hot standby streaming through a slot, and a cascading slot on the standby. */
class ReplicationSlotsWithStandbyTest {

    @Test
    void passesForASlotWhoseStandbyStreamsAndListsTheStandbysOwnSlots() throws Exception {
        try (StreamingReplica pair = StreamingReplica.start(PostgresServers.defaultMajor())) {
            pair.primary().adminExecute("SELECT pg_create_physical_replication_slot('ampora_standby_slot', true)");
            pair.standby().adminExecute("ALTER SYSTEM SET primary_slot_name = 'ampora_standby_slot'");
            pair.standby().adminExecute("SELECT pg_reload_conf()");
            Checks.await("the standby to stream through its slot", () -> "t".equals(StreamingReplica.queryOne(pair.primary(),
                    "SELECT active FROM pg_replication_slots WHERE slot_name = 'ampora_standby_slot'")));
            pair.primary().adminExecute("CREATE TABLE streamed AS SELECT g AS id FROM generate_series(1, 10000) g");
            pair.awaitReplayed(Duration.ofSeconds(10));

            CheckResult primary = Checks.run(pair.primary().adminDataSource("postgres"), new ReplicationSlotsCheck(),
                    "warnRetainedBytes", "64MB", "failRetainedBytes", "128MB");

            assertThat(primary.status()).as(primary.toString()).isEqualTo(CheckStatus.PASS);
            assertThat(Checks.withDetail(primary, "slot", "ampora_standby_slot")).singleElement().satisfies(f -> {
                assertThat(f.details()).containsEntry("active", true).containsEntry("slotType", "physical")
                        .containsEntry("consumerApplication", StreamingReplica.STANDBY_NAME)
                        .doesNotContainKey("drop");
                String address = (String) f.details().get("consumerAddress"); // localhost: 127.0.0.1 or ::1
                assertThat(address).isNotBlank();
                assertThat(f.message()).contains("consumes it (" + StreamingReplica.STANDBY_NAME + " from " + address
                        + ", streaming)");
            });
            assertThat(primary.summary()).contains("0 without a consumer");

            // a cascading slot created on the standby, nobody streaming from it: the check runs in recovery too
            pair.standby().adminExecute("SELECT pg_create_physical_replication_slot('cascade_gone', true)");
            CheckResult standby = Checks.run(pair.standby().adminDataSource("postgres"), new ReplicationSlotsCheck());

            assertThat(standby.status()).as(standby.toString()).isEqualTo(CheckStatus.PASS);
            assertThat(Checks.withDetail(standby, "slot", "cascade_gone")).singleElement()
                    .satisfies(f -> assertThat(f.details()).containsEntry("active", false).containsKey("retainedBytes"));
        }
    }
}
