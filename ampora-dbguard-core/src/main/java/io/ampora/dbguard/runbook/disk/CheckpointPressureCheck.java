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
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.internal.SettingValues;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Set;

/**
 * Runbook 3 (slow queries) and 6 (the WAL volume): checkpoints forced by WAL volume instead of coming on
 * {@code checkpoint_timeout}. PostgreSQL starts a checkpoint early when the WAL written since the last one reaches
 * about {@code max_wal_size / (1 + checkpoint_completion_target)}; with the default 1GB a busy service does that
 * every minute or two. Each checkpoint writes every dirty buffer, and after it the first change of every page writes
 * the whole page into the WAL again ({@code full_page_writes}), so frequent checkpoints multiply the write I/O and the
 * WAL volume: writes and commits slow down in waves, replicas and archives receive more, and the server log says
 * "checkpoints are occurring too frequently", which nobody reads.
 *
 * <p>Reads the checkpointer's counters ({@code pg_stat_bgwriter} before PostgreSQL 17, {@code pg_stat_checkpointer}
 * from 17, decided by the views the server has) since they were reset. Requested checkpoints also come from a
 * {@code CHECKPOINT} command, a base backup, or {@code CREATE DATABASE} with the file_copy strategy (the default
 * before 15), which more {@code max_wal_size} does not prevent; so only as many requested checkpoints count as the
 * WAL written in the period can explain ({@code pg_stat_wal} from 14; on 13 the WAL position, an upper bound). WARN
 * when those are at least {@code warnPercent} of all checkpoints (and at least {@code minCheckpoints} happened), with
 * a {@code max_wal_size} from the WAL rate where it is known. WARN only: it costs I/O, it stops nothing. SKIP on a
 * standby (its restartpoints follow the primary's checkpoints).
 */
public final class CheckpointPressureCheck implements DatabaseCheck {

    /** The share of checkpoints forced by WAL volume from which the check warns. */
    public static final CheckSetting<Double> WARN_PERCENT = CheckSetting.percent("warnPercent", 20,
            "share of all checkpoints that WAL volume forced (before checkpoint_timeout) from which to warn");
    /** Fewer checkpoints than this since the counters began are too few to judge. */
    public static final CheckSetting<Long> MIN_CHECKPOINTS = CheckSetting.count("minCheckpoints", 10,
            "how many checkpoints must have happened since the counters were reset before the check judges");

    @Override
    public String id() {
        return "checkpoint-pressure";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.SLOW_QUERIES;
    }

    @Override
    public String description() {
        return "Checkpoints forced by WAL volume before checkpoint_timeout (max_wal_size too small): write I/O and WAL"
                + " multiplied, with the max_wal_size the WAL rate needs.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(WARN_PERCENT, MIN_CHECKPOINTS);
    }

    /**
     * Not at startup: a checkpoint setting is no reason to stop a deployment.
     *
     * @return {@code false}
     */
    @Override
    public boolean startupCritical() {
        return false;
    }

    /**
     * {@link CheckScope#DATABASE}: the server's checkpoints are the same for every instance.
     *
     * @return {@link CheckScope#DATABASE}
     */
    @Override
    public CheckScope scope() {
        return CheckScope.DATABASE;
    }

    /**
     * {@link CheckCost#CHEAP}: one row of each statistics view.
     *
     * @return {@link CheckCost#CHEAP}
     */
    @Override
    public CheckCost cost() {
        return CheckCost.CHEAP;
    }

    /**
     * None: a server-wide condition every instance sees at once (see {@link DatabaseCheck#probes()}). The monitor
     * still reports, logs and counts it.
     *
     * @return no probe
     */
    @Override
    public Set<Probe> probes() {
        return Set.of();
    }

    @Override
    public CheckResult run(CheckContext context) throws SQLException {
        Connection c = context.connection();
        Counters counters;
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(Sql.load(CheckpointPressureCheck.class, id()))) {
            rs.next();
            if (rs.getBoolean("in_recovery")) {
                return CheckResult.skip(this, "A standby in recovery: its restartpoints follow the primary's"
                        + " checkpoints; run the check against the primary.");
            }
            counters = new Counters(rs.getLong("timed"), rs.getLong("requested"),
                    rs.getObject("stats_reset", OffsetDateTime.class), rs.getLong("wal_position"), rs.getLong("max_wal_size_bytes"), rs.getString("max_wal_size"),
                    rs.getString("checkpoint_timeout"), rs.getLong("checkpoint_timeout_seconds"),
                    rs.getDouble("completion_target"), rs.getBoolean("has_checkpointer"), rs.getBoolean("has_stat_wal"));
        }
        if (counters.hasCheckpointer()) {
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery(Sql.load(CheckpointPressureCheck.class, id() + "-checkpointer"))) {
                rs.next();
                counters = counters.withCheckpointer(rs.getLong("timed"), rs.getLong("requested"),
                        rs.getObject("stats_reset", OffsetDateTime.class));
            }
        }
        Long walBytes = null;
        OffsetDateTime walReset = null;
        if (counters.hasStatWal()) {
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery(Sql.load(CheckpointPressureCheck.class, id() + "-wal"))) {
                rs.next();
                walBytes = rs.getLong("wal_bytes");
                walReset = rs.getObject("stats_reset", OffsetDateTime.class);
            }
        }
        return judge(context, counters, walBytes, walReset);
    }

    private CheckResult judge(CheckContext context, Counters k, Long walBytes, OffsetDateTime walReset) {
        long total = k.timed() + k.requested();
        String since = k.statsReset() == null ? "since the statistics began" : "since " + k.statsReset().toLocalDate()
                + " (the counters' reset)";
        String settings = "max_wal_size " + k.maxWalSize() + ", checkpoint_timeout " + k.checkpointTimeout()
                + ", checkpoint_completion_target " + k.completionTarget();
        if (total < context.setting(MIN_CHECKPOINTS)) {
            return CheckResult.pass(this, total + " checkpoints " + since + ": too few to judge (minCheckpoints "
                    + context.setting(MIN_CHECKPOINTS) + "); " + settings + ".");
        }
        // a checkpoint is forced once the WAL since the last one reaches about this much
        long trigger = (long) (k.maxWalSizeBytes() / (1 + k.completionTarget()));
        long wal = walBytes != null ? walBytes : k.walPosition();
        long walDriven = Math.min(k.requested(), trigger <= 0 ? 0 : wal / trigger);
        double percent = 100.0 * walDriven / total;
        String counts = k.requested() + " of " + total + " checkpoints " + since + " were requested, "
                + (walDriven == k.requested() ? "all of them" : walDriven + " of them at most")
                + " by WAL volume (" + SettingValues.formatBytes(wal) + " of WAL "
                + (walBytes == null ? "written since the cluster was created" : walReset == null
                        ? "written since the WAL statistics began" : "written since " + walReset.toLocalDate()) + "), "
                + SettingValues.displayPercent(Math.round(percent * 10) / 10.0) + "% of all";
        if (percent < context.setting(WARN_PERCENT)) {
            return CheckResult.pass(this, counts + "; below warnPercent " + SettingValues.displayPercent(
                    context.setting(WARN_PERCENT)) + "%; " + settings + ".");
        }
        Duration period = walReset == null ? null : Duration.between(walReset.toInstant(), context.clock().instant());
        String advice = advice(k, walBytes, walReset != null, period);
        Finding finding = Finding.builder(counts + ": WAL reached max_wal_size (" + k.maxWalSize() + ") before"
                        + " checkpoint_timeout (" + k.checkpointTimeout() + ") that often. Every checkpoint writes all"
                        + " dirty buffers and makes the next change of each page write the whole page into the WAL, so"
                        + " frequent checkpoints multiply write I/O and WAL volume (the server log says \"checkpoints"
                        + " are occurring too frequently\").")
                .detail("timedCheckpoints", k.timed())
                .detail("requestedCheckpoints", k.requested())
                .detail("walDrivenCheckpoints", walDriven)
                .detail("walBytes", wal)
                .detail("maxWalSize", k.maxWalSize())
                .detail("checkpointTimeout", k.checkpointTimeout())
                .detail("checkpointCompletionTarget", k.completionTarget())
                .detail("since", k.statsReset() == null ? "the statistics began" : k.statsReset().toString())
                .build();
        return CheckResult.builder(this).status(CheckStatus.WARN)
                .summary(counts + ": max_wal_size (" + k.maxWalSize() + ") is too small for this write rate.")
                .finding(finding)
                .remediation(advice + " The WAL directory then holds up to that much more at peaks: check its volume"
                        + " first (disk-usage). max_wal_size needs no restart. To judge the change, reset the counters"
                        + " afterwards: SELECT pg_stat_reset_shared('" + (k.hasCheckpointer() ? "checkpointer" : "bgwriter")
                        + "');")
                .build();
    }

    /**
     * The max_wal_size to set: from the average WAL rate when the WAL statistics cover at least one checkpoint_timeout
     * since a reset (counters never reset were kept across clean restarts, so their period is unknown), else double.
     */
    static String advice(Counters k, Long walBytes, boolean walReset, Duration period) {
        String doubled = "Raise max_wal_size (now " + k.maxWalSize() + "), e.g. double it: ALTER SYSTEM SET max_wal_size = '"
                + SettingValues.displaySize(roundUp(k.maxWalSizeBytes() * 2)) + "'; SELECT pg_reload_conf();";
        if (walBytes == null) {
            return doubled;
        }
        if (!walReset) {
            return doubled + " For a size from the WAL rate, reset the WAL statistics (SELECT"
                    + " pg_stat_reset_shared('wal');) and run the check again after a busy day.";
        }
        if (period.toSeconds() < Math.max(1, k.checkpointTimeoutSeconds())) {
            return doubled + " The WAL statistics cover only the last " + SettingValues.format(period) + " (since their"
                    + " reset), less than one checkpoint_timeout: run the check again after a busy day for a size"
                    + " from the WAL rate.";
        }
        double perTimeout = (double) walBytes / period.toSeconds() * k.checkpointTimeoutSeconds();
        long needed = roundUp((long) (perTimeout * (1 + k.completionTarget()) * 1.25));
        return "On average " + SettingValues.formatBytes((long) perTimeout) + " of WAL is written per checkpoint_timeout ("
                + k.checkpointTimeout() + ", over the last " + SettingValues.format(period) + "), so max_wal_size needs"
                + " at least " + SettingValues.displaySize(needed) + " for checkpoints to come on time (more for the"
                + " peaks): ALTER SYSTEM SET max_wal_size = '" + SettingValues.displaySize(needed) + "'; SELECT"
                + " pg_reload_conf();";
    }

    /** Up to the next 2^k or 1.5 x 2^k megabytes, sizes a person would type. */
    static long roundUp(long bytes) {
        long mb = Math.max(64, (bytes + (1 << 20) - 1) >> 20);
        long power = Long.highestOneBit(mb);
        long size = power == mb ? mb : power + power / 2 >= mb ? power + power / 2 : power * 2;
        return size << 20;
    }

    /** The checkpoint counters and the settings that decide them. */
    record Counters(long timed, long requested, OffsetDateTime statsReset, long walPosition, long maxWalSizeBytes, String maxWalSize, String checkpointTimeout,
                            long checkpointTimeoutSeconds, double completionTarget, boolean hasCheckpointer,
                            boolean hasStatWal) {

        Counters withCheckpointer(long timed, long requested, OffsetDateTime statsReset) {
            return new Counters(timed, requested, statsReset, walPosition, maxWalSizeBytes, maxWalSize,
                    checkpointTimeout, checkpointTimeoutSeconds, completionTarget, true, hasStatWal);
        }
    }
}
