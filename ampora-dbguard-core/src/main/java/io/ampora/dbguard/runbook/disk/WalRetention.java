package io.ampora.dbguard.runbook.disk;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.internal.SettingValues;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * What keeps WAL in pg_wal beyond what the server recycles by itself, for disk-usage: replication slots
 * (whose consumer is gone, or which retain more than {@code max_wal_size}) and a failing archiver. When
 * one of them holds the WAL, growing the WAL volume only delays the outage.
 */
final class WalRetention {

    private WalRetention() {
    }

    /**
     * One cause of retained WAL.
     *
     * @param holder who holds it: {@code slot 'name'} or {@code the WAL archiver}
     * @param bytes  how much it holds, null when unknown
     * @param what   a sentence saying so, with the evidence
     * @param fix    what to do about it
     */
    record Cause(String holder, Long bytes, String what, String fix) {

        Finding finding() {
            return Finding.builder(what + " " + fix)
                    .detail("walRetainedBy", holder)
                    .detail("bytes", bytes)
                    .build();
        }
    }

    /**
     * Reads the slots and the archiver.
     *
     * @param context     the check's context
     * @param maxWalBytes {@code max_wal_size} in bytes: an active slot retaining less is normal
     * @return the causes, the largest first; empty when nothing retains WAL
     * @throws SQLException when a query fails
     */
    static List<Cause> read(CheckContext context, long maxWalBytes) throws SQLException {
        List<Cause> causes = new ArrayList<>();
        for (ReplicationSlotsCheck.Slot s : ReplicationSlotsCheck.read(context.connection())) {
            long retained = s.retainedBytes() == null ? 0 : s.retainedBytes();
            if (s.lost() || retained <= 0 || (s.active() && retained <= maxWalBytes)) {
                continue;
            }
            causes.add(new Cause("slot " + s.literal(), retained, "The " + s.describe() + " retains "
                    + SettingValues.formatBytes(retained) + " of WAL; " + s.consumer() + ".",
                    s.active() ? "Find why its consumer does not keep up (see replication-slots)."
                            : "If its consumer is gone: " + s.drop() + (s.logical() ? " (in database " + s.database() + ")"
                            : "") + "; otherwise reconnect it (see replication-slots)."));
        }
        WalArchivingCheck.Archiver archiver = WalArchivingCheck.read(context.connection());
        if (archiver.skipReason() == null && archiver.failing()) {
            WalArchivingCheck.Ready ready = WalArchivingCheck.ready(context.connection(), context.facts().currentUser());
            long segment = context.facts().settingAsLong("wal_segment_size", 16L * 1024 * 1024);
            Long bytes = ready.files() == null ? null : ready.files() * segment;
            causes.add(new Cause("the WAL archiver", bytes, "The WAL archiver has been failing on "
                    + archiver.lastFailedWal() + " for " + WalArchivingCheck.age(archiver.failedSeconds())
                    + (bytes == null ? "" : "; " + ready.files() + " segments (" + SettingValues.formatBytes(bytes)
                    + ") wait for it") + ": WAL is not recycled until it is archived.",
                    "Repair archive_command (see wal-archiving)."));
        }
        causes.sort((a, b) -> Long.compare(b.bytes() == null ? 0 : b.bytes(), a.bytes() == null ? 0 : a.bytes()));
        return causes;
    }
}
