package io.ampora.dbguard.runbook.disk;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Real slots on a server with wal_level=logical; every slot a test creates is dropped after it. max_wal_size
 * is at its minimum (two segments) so that a slot can make WAL exceed it with a few switched segments.
 */
@WithPostgres(settings = {"wal_level=logical", "max_wal_size=32MB", "min_wal_size=32MB"})
class ReplicationSlotsCheckTest {

    private static final long MB = 1024 * 1024;

    @AfterEach
    void dropSlots(TestDatabase db) throws Exception {
        db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active"
                + " AND slot_name IN ('decommissioned_standby', 'cdc_orders')");
    }

    @Test
    void failsForAPhysicalSlotWhoseStandbyIsGoneNamingTheSlotTheBytesAndTheDrop(TestDatabase db) throws Exception {
        db.execute("SELECT pg_create_physical_replication_slot('decommissioned_standby', true)");
        // wal_status is 'extended' once the slot's segment is older than max_wal_size's 2 segments + 1 behind the
        // current one: 3 switches leave it exactly at that edge ('reserved' unless other WAL was written meanwhile)
        generateWal(db, 5);

        CheckResult result = Checks.run(db.dataSource(), new ReplicationSlotsCheck(),
                "warnRetainedBytes", "1MB", "failRetainedBytes", "2MB");

        assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
        Finding f = Checks.withDetail(result, "slot", "decommissioned_standby").get(0);
        assertThat(f.details()).containsEntry("slotType", "physical").containsEntry("active", false)
                .containsEntry("walStatus", "extended") // beyond max_wal_size (32MB), kept only by the slot
                .containsEntry("drop", "SELECT pg_drop_replication_slot('decommissioned_standby')");
        assertThat((Long) f.details().get("retainedBytes")).isGreaterThan(2 * MB);
        assertThat(f.message()).startsWith("The physical slot 'decommissioned_standby' retains ")
                .contains("MB of WAL (wal_status extended)", "no consumer is connected",
                        "max_slot_wal_keep_size is -1: nothing bounds the WAL a slot keeps");
        if (db.server().majorVersion() >= 17) {
            assertThat((String) f.details().get("inactiveFor")).isNotBlank();
        } else {
            assertThat(f.details()).containsEntry("inactiveFor", "unknown before PostgreSQL 17");
        }
        assertThat(result.remediation()).contains("if its consumer (a standby, a CDC connector) is gone, "
                + "SELECT pg_drop_replication_slot('decommissioned_standby');", "max_slot_wal_keep_size");
        assertThat(result.summary()).startsWith("1 replication slot retains ").contains("1 without a consumer");

        // the drop from the finding, run as given, frees it
        db.execute((String) f.details().get("drop"));
        assertThat(Checks.run(db.dataSource(), new ReplicationSlotsCheck()).summary())
                .isEqualTo("No replication slot: none retains WAL.");
    }

    @Test
    void diskUsageAttributesTheWalToTheSlotInsteadOfAdvisingABiggerVolume(TestDatabase db) throws Exception {
        db.execute("SELECT pg_create_physical_replication_slot('decommissioned_standby', true)");
        generateWal(db, 4);
        db.execute("CHECKPOINT");

        CheckResult result = Checks.run(db.dataSource(), new DiskUsageCheck(() -> new DiskSpace(5 * MB, 100 * MB)));

        assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(Checks.withDetail(result, "walRetainedBy", "slot 'decommissioned_standby'")).singleElement()
                .satisfies(f -> {
                    assertThat((Long) f.details().get("bytes")).isGreaterThan(3 * 16 * MB);
                    assertThat(f.message()).contains("no consumer is connected",
                            "SELECT pg_drop_replication_slot('decommissioned_standby')");
                });
        assertThat(result.summary()).contains("(retained by slot 'decommissioned_standby' ");
        assertThat(result.remediation()).startsWith("WAL is the largest (")
                .contains("because something keeps it", "SELECT pg_drop_replication_slot('decommissioned_standby')",
                        "a bigger volume only delays the outage")
                .doesNotContain("bump the WAL volume");
    }

    @Test
    void reportsALogicalSlotWhoseConsumerStoppedWithItsPluginAndDatabase(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE orders (id int PRIMARY KEY, note text)");
        db.execute("SELECT pg_create_logical_replication_slot('cdc_orders', 'test_decoding')");
        db.execute("INSERT INTO orders SELECT g, 'consumed' FROM generate_series(1, 10) g");
        // the connector read once and stopped
        db.queryString("SELECT count(*) FROM pg_logical_slot_get_changes('cdc_orders', NULL, NULL)");
        generateWal(db, 2);

        CheckResult result = Checks.run(db.dataSource(), new ReplicationSlotsCheck(),
                "warnRetainedBytes", "1MB", "failRetainedBytes", "1GB");

        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        assertThat(Checks.withDetail(result, "slot", "cdc_orders")).singleElement().satisfies(f -> {
            assertThat(f.details()).containsEntry("slotType", "logical").containsEntry("plugin", "test_decoding")
                    .containsEntry("database", db.name()).containsEntry("active", false)
                    .containsEntry("drop", "SELECT pg_drop_replication_slot('cdc_orders') -- in database " + db.name());
            assertThat((String) f.details().get("confirmedFlushLsn")).contains("/");
            assertThat((Long) f.details().get("xminAge")).isNotNull();
            assertThat(f.message()).startsWith("The logical slot 'cdc_orders' (plugin test_decoding, database " + db.name()
                    + ") retains ").contains("past what its consumer confirmed", "no consumer is connected");
        });
        assertThat(result.remediation()).contains("SELECT pg_drop_replication_slot('cdc_orders');",
                "connected to database " + db.name());
    }

    @Test
    void anUnprivilegedRoleSeesTheSlotsToo(TestDatabase db) throws Exception {
        db.createRole("slots_reader", "reader-pw", "");
        db.execute("SELECT pg_create_physical_replication_slot('decommissioned_standby', true)");
        generateWal(db, 2);

        CheckResult result = Checks.run(db.dataSource("slots_reader", "reader-pw"), new ReplicationSlotsCheck(),
                "warnRetainedBytes", "1MB", "failRetainedBytes", "1GB");

        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        assertThat(Checks.withDetail(result, "slot", "decommissioned_standby")).hasSize(1);
    }

    @Test
    void staysQuietWithoutSlots(TestDatabase db) {
        CheckResult result = Checks.run(db.dataSource(), new ReplicationSlotsCheck());

        assertThat(result.status()).isEqualTo(CheckStatus.PASS);
        assertThat(result.summary()).isEqualTo("No replication slot: none retains WAL.");
    }

    /** Writes and switches WAL segments: about {@code segments} x 1.5 MB of WAL past the current position. */
    static void generateWal(TestDatabase db, int segments) throws Exception {
        db.execute("CREATE TABLE IF NOT EXISTS wal_filler (id int, payload text)");
        for (int i = 0; i < segments; i++) {
            db.execute("INSERT INTO wal_filler SELECT g, repeat('w', 100) FROM generate_series(1, 10000) g");
            db.execute("SELECT pg_switch_wal()");
        }
    }
}
