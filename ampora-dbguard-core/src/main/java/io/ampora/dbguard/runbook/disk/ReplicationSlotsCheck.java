package io.ampora.dbguard.runbook.disk;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.SettingOrder;
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.internal.SettingValues;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Runbook 6 (disk full), also 5: what keeps the WAL. A replication slot keeps every WAL segment from its
 * {@code restart_lsn} on, whether or not its consumer (a standby, a CDC connector) is still connected; a
 * decommissioned standby or a stopped connector leaves a slot that fills the WAL volume, and growing the
 * volume only delays the outage. Lists every slot with its type, plugin and database, whether a consumer
 * is attached (and who, from {@code pg_stat_replication}), the WAL it retains, {@code wal_status} and
 * {@code safe_wal_size}, and whether {@code max_slot_wal_keep_size} bounds it.
 *
 * <p>WARN past {@code warnRetainedBytes} (1 GB) of retained WAL or, where the server tells it (PostgreSQL
 * 17+ {@code inactive_since}), a slot inactive longer than {@code warnAfter} (15 minutes); FAIL past
 * {@code failRetainedBytes} (10 GB) or {@code failAfter} (6 hours), and for a slot whose WAL is
 * {@code lost} (its consumer can no longer resume) or {@code unreserved} (lost at the next checkpoint).
 * The fix names the slot: {@code SELECT pg_drop_replication_slot('name')} when its consumer is gone,
 * reconnecting the consumer otherwise, and {@code max_slot_wal_keep_size} as the safety net. Needs no
 * privilege ({@code pg_replication_slots} is readable by every role); the consumer's address needs
 * {@code pg_read_all_stats}. Takes no lock.
 */
public final class ReplicationSlotsCheck implements DatabaseCheck {

    /** Retained WAL above this warns. */
    public static final CheckSetting<Long> WARN_RETAINED_BYTES = CheckSetting.size("warnRetainedBytes",
            1024L * 1024 * 1024, "WAL a replication slot may retain before the check warns");
    /** Retained WAL above this fails. */
    public static final CheckSetting<Long> FAIL_RETAINED_BYTES = CheckSetting.size("failRetainedBytes",
            10L * 1024 * 1024 * 1024, "WAL a replication slot may retain before the check fails");
    /** A slot inactive longer than this warns (PostgreSQL 17+, which records inactive_since). */
    public static final CheckSetting<Duration> WARN_AFTER = CheckSetting.duration("warnAfter", Duration.ofMinutes(15),
            "how long a slot may stay without a consumer before the check warns (PostgreSQL 17+)");
    /** A slot inactive longer than this fails (PostgreSQL 17+). */
    public static final CheckSetting<Duration> FAIL_AFTER = CheckSetting.duration("failAfter", Duration.ofHours(6),
            "how long a slot may stay without a consumer before the check fails (PostgreSQL 17+)");

    @Override
    public String id() {
        return "replication-slots";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.DISK_FULL;
    }

    @Override
    public String description() {
        return "Replication slots and the WAL each keeps: consumer attached or gone, retained bytes, wal_status, lost"
                + " slots; pg_drop_replication_slot for a slot whose consumer is gone.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(WARN_RETAINED_BYTES, FAIL_RETAINED_BYTES, WARN_AFTER, FAIL_AFTER);
    }

    @Override
    public List<SettingOrder<?>> settingOrders() {
        return List.of(SettingOrder.higherIsWorse(WARN_RETAINED_BYTES, FAIL_RETAINED_BYTES),
                SettingOrder.higherIsWorse(WARN_AFTER, FAIL_AFTER));
    }

    @Override
    public boolean startupCritical() {
        return false;
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        if (context.facts().settingAsLong("max_replication_slots", 10) == 0) {
            return CheckResult.skip(this, "max_replication_slots is 0 on this server: replication slots are not enabled.");
        }
        List<Slot> slots = read(context.connection());
        if (slots.isEmpty()) {
            return CheckResult.pass(this, "No replication slot: none retains WAL.");
        }
        long keepMb = context.facts().settingAsLong("max_slot_wal_keep_size", -1);
        String bound = keepMb < 0 ? "max_slot_wal_keep_size is -1: nothing bounds the WAL a slot keeps"
                : "max_slot_wal_keep_size is " + SettingValues.formatBytes(keepMb * 1024 * 1024);
        CheckResult.Builder result = CheckResult.builder(this);
        List<String> actions = new ArrayList<>();
        long total = 0;
        for (Slot s : slots) {
            total += Math.max(0, s.retainedBytes() == null ? 0 : s.retainedBytes());
            CheckStatus status = s.status(context.setting(WARN_RETAINED_BYTES), context.setting(FAIL_RETAINED_BYTES),
                    context.setting(WARN_AFTER), context.setting(FAIL_AFTER));
            result.atLeast(status).finding(s.finding(status, bound));
            if (status != CheckStatus.PASS) {
                actions.add(s.action());
            }
        }
        String summary = slots.size() + (slots.size() == 1 ? " replication slot retains " : " replication slots retain ")
                + SettingValues.formatBytes(total) + " of WAL; "
                + slots.stream().filter(s -> !s.active()).count() + " without a consumer; " + bound + ".";
        if (result.status() == CheckStatus.PASS) {
            return result.summary(summary).build();
        }
        if (keepMb < 0) {
            actions.add("Safety net: ALTER SYSTEM SET max_slot_wal_keep_size = '50GB'; SELECT pg_reload_conf(); (sized"
                    + " below the WAL volume's free space): a slot that falls that far behind then loses its WAL instead"
                    + " of filling the disk and stopping the primary.");
        }
        return result.summary(summary).remediation(String.join("\n", actions)).build();
    }

    /**
     * Reads every slot, largest retention first.
     *
     * @param connection the check's session
     * @return the slots
     * @throws SQLException when the query fails
     */
    static List<Slot> read(Connection connection) throws SQLException {
        List<Slot> slots = new ArrayList<>();
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery(Sql.load(ReplicationSlotsCheck.class, "replication-slots"))) {
            while (rs.next()) {
                slots.add(new Slot(rs.getString("slot_name"), rs.getString("slot_literal"), rs.getString("slot_type"),
                        rs.getString("plugin"), rs.getString("database"), rs.getString("database_ident"),
                        rs.getBoolean("temporary"), rs.getBoolean("active"), (Integer) rs.getObject("active_pid"),
                        rs.getString("consumer_application"), rs.getString("consumer_address"),
                        rs.getString("consumer_state"), rs.getBoolean("consumer_hidden"), rs.getString("restart_lsn"),
                        rs.getString("confirmed_flush_lsn"), longOrNull(rs, "retained_bytes"),
                        longOrNull(rs, "unconfirmed_bytes"), rs.getString("wal_status"), longOrNull(rs, "safe_wal_size"),
                        doubleOrNull(rs, "inactive_seconds"), rs.getBoolean("knows_inactive_since"),
                        rs.getString("invalidation_reason"), longOrNull(rs, "xmin_age")));
            }
        }
        return slots;
    }

    private static Long longOrNull(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    private static Double doubleOrNull(ResultSet rs, String column) throws SQLException {
        double v = rs.getDouble(column);
        return rs.wasNull() ? null : v;
    }

    /** One replication slot as {@code pg_replication_slots} and {@code pg_stat_replication} show it. */
    record Slot(String name, String literal, String type, String plugin, String database, String databaseIdent,
                boolean temporary, boolean active, Integer activePid, String consumerApplication,
                String consumerAddress, String consumerState, boolean consumerHidden, String restartLsn,
                String confirmedFlushLsn, Long retainedBytes, Long unconfirmedBytes, String walStatus,
                Long safeWalSize, Double inactiveSeconds, boolean knowsInactiveSince, String invalidationReason,
                Long xminAge) {

        boolean logical() {
            return "logical".equals(type);
        }

        boolean lost() {
            return "lost".equals(walStatus) || (restartLsn == null && invalidationReason != null);
        }

        /** {@code SELECT pg_drop_replication_slot('name')}. */
        String drop() {
            return "SELECT pg_drop_replication_slot(" + literal + ")";
        }

        CheckStatus status(long warnBytes, long failBytes, Duration warnAfter, Duration failAfter) {
            if (lost() || "unreserved".equals(walStatus)) {
                return CheckStatus.FAIL;
            }
            long retained = retainedBytes == null ? 0 : retainedBytes;
            CheckStatus status = retained > failBytes ? CheckStatus.FAIL
                    : retained > warnBytes ? CheckStatus.WARN : CheckStatus.PASS;
            if (!active && inactiveSeconds != null) {
                long ms = Math.round(inactiveSeconds * 1000);
                CheckStatus idle = ms > failAfter.toMillis() ? CheckStatus.FAIL
                        : ms > warnAfter.toMillis() ? CheckStatus.WARN : CheckStatus.PASS;
                status = idle.ordinal() > status.ordinal() ? idle : status;
            }
            return status;
        }

        /** "physical slot 'x'" or "logical slot 'x' (test_decoding, database app)". */
        String describe() {
            return (temporary ? "temporary " : "") + type + " slot " + literal
                    + (logical() ? " (plugin " + plugin + ", database " + database + ")" : "");
        }

        String consumer() {
            if (!active) {
                return "no consumer is connected"
                        + (inactiveSeconds == null ? "" : " (inactive for " + SettingValues.format(seconds(inactiveSeconds)) + ")");
            }
            if (consumerApplication == null && consumerAddress == null) {
                return "pid " + activePid + " consumes it" + (consumerHidden ? " (its address is hidden from this role:"
                        + " GRANT pg_read_all_stats)" : "");
            }
            return "pid " + activePid + " consumes it (" + (consumerApplication == null || consumerApplication.isEmpty()
                    ? "no application_name" : consumerApplication) + (consumerAddress == null ? "" : " from " + consumerAddress)
                    + (consumerState == null ? "" : ", " + consumerState) + ")";
        }

        Finding finding(CheckStatus status, String bound) {
            StringBuilder m = new StringBuilder("The ").append(describe());
            if (lost()) {
                m.append(" has lost the WAL its consumer needs (wal_status ").append(walStatus)
                        .append(invalidationReason == null ? "" : ", invalidated: " + invalidationReason)
                        .append("): the consumer can no longer resume from it. ").append(consumer())
                        .append(". Rebuild the standby / resync the connector from a fresh copy and re-create the slot,"
                                + " or drop it if nothing needs it: ").append(drop()).append('.');
            } else {
                m.append(" retains ").append(retainedBytes == null ? "no" : SettingValues.formatBytes(retainedBytes))
                        .append(" of WAL (wal_status ").append(walStatus).append(")");
                if (logical() && unconfirmedBytes != null) {
                    m.append(", ").append(SettingValues.formatBytes(unconfirmedBytes))
                            .append(" past what its consumer confirmed");
                }
                m.append("; ").append(consumer()).append('.');
                if ("unreserved".equals(walStatus)) {
                    m.append(" It is past max_slot_wal_keep_size: the next checkpoint removes WAL its consumer still needs.");
                }
                if (status != CheckStatus.PASS) {
                    m.append(' ').append(bound).append('.');
                }
            }
            Finding.Builder f = Finding.builder(m.toString())
                    .detail("slot", name)
                    .detail("slotType", type)
                    .detail("plugin", plugin)
                    .detail("database", database)
                    .detail("temporary", temporary)
                    .detail("active", active)
                    .detail("activePid", activePid)
                    .detail("consumerApplication", consumerApplication)
                    .detail("consumerAddress", consumerAddress)
                    .detail("restartLsn", restartLsn)
                    .detail("confirmedFlushLsn", confirmedFlushLsn)
                    .detail("retainedBytes", retainedBytes)
                    .detail("retained", retainedBytes == null ? null : SettingValues.formatBytes(retainedBytes))
                    .detail("walStatus", walStatus)
                    .detail("safeWalSize", safeWalSize)
                    .detail("inactiveFor", inactiveSeconds == null ? (knowsInactiveSince ? null
                            : "unknown before PostgreSQL 17") : SettingValues.format(seconds(inactiveSeconds)))
                    .detail("invalidationReason", invalidationReason)
                    .detail("xminAge", xminAge);
            if (status != CheckStatus.PASS) {
                f.detail("drop", drop() + (logical() ? " -- in database " + database : ""));
            }
            return f.build();
        }

        String action() {
            String where = logical() ? " (connected to database " + databaseIdent + ": a logical slot is dropped from its"
                    + " database)" : "";
            if (lost()) {
                return describe() + ": its consumer cannot resume; re-create it with a fresh copy of the standby / connector,"
                        + " or " + drop() + ";" + where + ".";
            }
            if (active) {
                return describe() + ": its consumer (pid " + activePid + ") is connected but far behind: find why it does not"
                        + " keep up (network, replay conflicts, a slow connector); drop the slot only if that consumer is"
                        + " decommissioned.";
            }
            return describe() + ": if its consumer (a standby, a CDC connector) is gone, " + drop() + ";" + where
                    + " otherwise reconnect the consumer, which resumes from restart_lsn " + restartLsn + ".";
        }

        private static Duration seconds(double s) {
            return Duration.ofMillis(Math.round(s * 1000));
        }
    }

    /** The server's slots, the same from every instance; one small catalog view. */
    @Override
    public CheckScope scope() {
        return CheckScope.DATABASE;
    }

    @Override
    public CheckCost cost() {
        return CheckCost.CHEAP;
    }

    /**
     * None: a database-wide condition every instance sees at once (see {@link DatabaseCheck#probes()}). The monitor
     * still reports, logs and counts it.
     *
     * @return no probe
     */
    @Override
    public Set<Probe> probes() {
        return Set.of();
    }
}
