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
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

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
 *
 * <p>The counters are cumulative, so a WAL storm long past (last month's bulk load) would keep them warning until
 * someone resets them. The check therefore keeps its readings per server (timed and requested checkpoints, the WAL
 * position, the counters' {@code stats_reset}) and, once it has one at least {@code window} old (default 1 hour) that
 * the counters continue from (same reset, no counter lower: no restart that lost them), judges the growth since the
 * newest such reading: the checkpoints of that period, the WAL written in it (the WAL position's advance, exact) and
 * the {@code max_wal_size} its WAL rate needs; fewer than {@code minCheckpoints} there is too little activity to
 * judge (PASS). Until then (the first run, after a reset or a restart) it judges since the reset and says so. Keep
 * one guard (one check object) across runs for this, as the monitor does; the readings kept are bounded (those a
 * later run can still need, at most {@value #MAX_READINGS} per server). A report and the monitor may share the
 * object: the readings are thread-safe.
 */
public final class CheckpointPressureCheck implements DatabaseCheck {

    /** The share of checkpoints forced by WAL volume from which the check warns. */
    public static final CheckSetting<Double> WARN_PERCENT = CheckSetting.percent("warnPercent", 20,
            "share of all checkpoints that WAL volume forced (before checkpoint_timeout) from which to warn");
    /** Fewer checkpoints than this in the period judged are too few to judge. */
    public static final CheckSetting<Long> MIN_CHECKPOINTS = CheckSetting.count("minCheckpoints", 10,
            "how many checkpoints must have happened in the period judged (the window, or since the counters were"
                    + " reset) before the check judges");
    /** How recent a period the check judges once it has a reading that old. */
    public static final CheckSetting<Duration> WINDOW = CheckSetting.duration("window", Duration.ofHours(1),
            "the period judged: the counters' growth since this guard's newest reading at least this old (until it"
                    + " has one: since the counters were reset)");

    /** The most readings kept per server, however often the check runs. */
    static final int MAX_READINGS = 1_000;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    /** The readings per server (system identifier, address and port), oldest first. */
    private final ConcurrentMap<String, Deque<Reading>> readings = new ConcurrentHashMap<>();

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
        return List.of(WARN_PERCENT, MIN_CHECKPOINTS, WINDOW);
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
        String server;
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
            // the key replica-conflicts uses, without the database: the checkpointer's counters are the server's
            server = Objects.toString(rs.getString("system_identifier"), "?") + "|" + rs.getString("server_addr") + ":"
                    + rs.getInt("server_port");
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
        Duration window = context.setting(WINDOW);
        Reading now = new Reading(context.clock().instant(), counters.timed(), counters.requested(),
                counters.walPosition(), counters.statsReset());
        Baseline baseline = remember(readings.computeIfAbsent(server, key -> new ArrayDeque<>()), now, window);
        Judged judged = baseline.base() != null ? overWindow(counters, now, baseline.base(), window)
                : sinceReset(context, counters, walBytes, walReset, baseline.whyNot(now, window));
        return judge(context, counters, judged);
    }

    /**
     * Adds a reading to a server's history and finds the newest earlier reading at least {@code window} old that the
     * counters continue from. Keeps what a later run can still need, at most {@link #MAX_READINGS}: readings the
     * counters no longer continue from (a reset, a restart, the clock set back) are dropped, and so is everything
     * older than the newest reading already a window old (ages only grow: it stays the newest such reading or
     * gives way to a younger one); a reading less than {@code window / (MAX_READINGS / 2)} after the newest kept one
     * is judged but not kept, so that a check run in a tight loop keeps a window's worth all the same.
     *
     * @param history the server's readings, oldest first; a report and the monitor may run the check at once
     * @param now     this run's reading
     * @param window  how old the reading judged against must be at least
     * @return the reading to judge against, or why there is none
     */
    static Baseline remember(Deque<Reading> history, Reading now, Duration window) {
        synchronized (history) {
            boolean hadAny = !history.isEmpty();
            history.removeIf(r -> !r.continuedBy(now));
            Reading oldest = history.peekFirst();
            Instant cutoff = now.at().minus(window);
            Reading base = null;
            for (Reading r : history) {
                if (r.at().isAfter(cutoff)) {
                    break;
                }
                base = r;
            }
            while (base != null && history.peekFirst() != base) {
                history.removeFirst();
            }
            Reading newest = history.peekLast();
            if (newest == null || Duration.between(newest.at(), now.at())
                    .compareTo(window.dividedBy(MAX_READINGS / 2)) >= 0) {
                history.addLast(now);
            }
            while (history.size() > MAX_READINGS) {
                history.removeFirst();
            }
            return new Baseline(base, hadAny, oldest);
        }
    }

    private Judged overWindow(Counters k, Reading now, Reading base, Duration window) {
        Duration period = Duration.between(base.at(), now.at());
        long wal = now.walPosition() - base.walPosition();
        return new Judged(now.timed() - base.timed(), now.requested() - base.requested(), wal,
                "in the last " + SettingValues.format(period), "written in that period",
                true, "", windowAdvice(k, wal, period),
                "The check judges the last " + SettingValues.format(window) + ", so after that long it shows the change's"
                        + " effect, with no counter reset needed.",
                base.at().toString(), period);
    }

    private Judged sinceReset(CheckContext context, Counters k, Long walBytes, OffsetDateTime walReset, String whyNot) {
        long wal = walBytes != null ? walBytes : k.walPosition();
        Duration period = walReset == null ? null : Duration.between(walReset.toInstant(), context.clock().instant());
        return new Judged(k.timed(), k.requested(), wal,
                k.statsReset() == null ? "since the statistics began"
                        : "since the counters were reset at " + time(k.statsReset().toInstant()),
                walBytes == null ? "written since the cluster was created" : walReset == null
                        ? "written since the WAL statistics began" : "written since " + time(walReset.toInstant()),
                false, " Judged since the reset: " + whyNot + "; the check judges the last "
                        + SettingValues.format(context.setting(WINDOW)) + " once it has a reading that old.",
                advice(k, walBytes, walReset != null, period),
                "To judge the change, reset the counters afterwards: SELECT pg_stat_reset_shared('"
                        + (k.hasCheckpointer() ? "checkpointer" : "bgwriter") + "');",
                k.statsReset() == null ? "the statistics began" : k.statsReset().toString(),
                k.statsReset() == null ? null : Duration.between(k.statsReset().toInstant(), context.clock().instant()));
    }

    private CheckResult judge(CheckContext context, Counters k, Judged j) {
        long total = j.timed() + j.requested();
        String settings = "max_wal_size " + k.maxWalSize() + ", checkpoint_timeout " + k.checkpointTimeout()
                + ", checkpoint_completion_target " + k.completionTarget();
        if (total < context.setting(MIN_CHECKPOINTS)) {
            return CheckResult.pass(this, total + " checkpoints " + j.over() + ": too few to judge (minCheckpoints "
                    + context.setting(MIN_CHECKPOINTS) + (j.windowed() ? "; not enough activity in the window" : "")
                    + "); " + settings + "." + j.note());
        }
        // a checkpoint is forced once the WAL since the last one reaches about this much
        long trigger = (long) (k.maxWalSizeBytes() / (1 + k.completionTarget()));
        long walDriven = Math.min(j.requested(), trigger <= 0 ? 0 : j.wal() / trigger);
        double percent = 100.0 * walDriven / total;
        String counts = j.requested() + " of " + total + " checkpoints " + j.over() + " were requested, "
                + (walDriven == j.requested() ? "all of them" : walDriven + " of them at most")
                + " by WAL volume (" + SettingValues.formatBytes(j.wal()) + " of WAL " + j.walWritten() + "), "
                + SettingValues.displayPercent(Math.round(percent * 10) / 10.0) + "% of all";
        if (percent < context.setting(WARN_PERCENT)) {
            return CheckResult.pass(this, counts + "; below warnPercent " + SettingValues.displayPercent(
                    context.setting(WARN_PERCENT)) + "%; " + settings + "." + j.note());
        }
        Finding finding = Finding.builder(counts + ": WAL reached max_wal_size (" + k.maxWalSize() + ") before"
                        + " checkpoint_timeout (" + k.checkpointTimeout() + ") that often. Every checkpoint writes all"
                        + " dirty buffers and makes the next change of each page write the whole page into the WAL, so"
                        + " frequent checkpoints multiply write I/O and WAL volume (the server log says \"checkpoints"
                        + " are occurring too frequently\").")
                .detail("timedCheckpoints", j.timed())
                .detail("requestedCheckpoints", j.requested())
                .detail("walDrivenCheckpoints", walDriven)
                .detail("walBytes", j.wal())
                .detail("maxWalSize", k.maxWalSize())
                .detail("checkpointTimeout", k.checkpointTimeout())
                .detail("checkpointCompletionTarget", k.completionTarget())
                .detail("since", j.since())
                .detail("period", j.period() == null ? null : SettingValues.format(j.period()))
                .detail("windowed", j.windowed())
                .build();
        return CheckResult.builder(this).status(CheckStatus.WARN)
                .summary(counts + ": max_wal_size (" + k.maxWalSize() + ") is too small for this write rate." + j.note())
                .finding(finding)
                .remediation(j.advice() + " The WAL directory then holds up to that much more at peaks: check its"
                        + " volume first (disk-usage). max_wal_size needs no restart. " + j.afterwards())
                .build();
    }

    /**
     * The max_wal_size to set: from the average WAL rate when the WAL statistics cover at least one checkpoint_timeout
     * since a reset (counters never reset were kept across clean restarts, so their period is unknown), else double.
     */
    static String advice(Counters k, Long walBytes, boolean walReset, Duration period) {
        if (walBytes == null) {
            return doubled(k);
        }
        if (!walReset) {
            return doubled(k) + " For a size from the WAL rate, reset the WAL statistics (SELECT"
                    + " pg_stat_reset_shared('wal');) and run the check again after a busy day.";
        }
        if (period.toSeconds() < Math.max(1, k.checkpointTimeoutSeconds())) {
            return doubled(k) + " The WAL statistics cover only the last " + SettingValues.format(period) + " (since"
                    + " their reset), less than one checkpoint_timeout: run the check again after a busy day for a size"
                    + " from the WAL rate.";
        }
        return fromRate(k, walBytes, period);
    }

    /** The max_wal_size to set from the WAL written in the window judged, when that covers one checkpoint_timeout. */
    static String windowAdvice(Counters k, long wal, Duration period) {
        if (period.toSeconds() < Math.max(1, k.checkpointTimeoutSeconds())) {
            return doubled(k) + " The period judged (the last " + SettingValues.format(period) + ") is shorter than one"
                    + " checkpoint_timeout (" + k.checkpointTimeout() + "): for a size from the WAL rate, set the"
                    + " check's window to at least that.";
        }
        return fromRate(k, wal, period);
    }

    private static String doubled(Counters k) {
        return "Raise max_wal_size (now " + k.maxWalSize() + "), e.g. double it: ALTER SYSTEM SET max_wal_size = '"
                + SettingValues.displaySize(roundUp(k.maxWalSizeBytes() * 2)) + "'; SELECT pg_reload_conf();";
    }

    private static String fromRate(Counters k, long wal, Duration period) {
        double perTimeout = (double) wal / period.toSeconds() * k.checkpointTimeoutSeconds();
        long needed = roundUp((long) (perTimeout * (1 + k.completionTarget()) * 1.25));
        return "On average " + SettingValues.formatBytes((long) perTimeout) + " of WAL is written per checkpoint_timeout ("
                + k.checkpointTimeout() + ", over the last " + SettingValues.format(period) + "), so max_wal_size needs"
                + " at least " + SettingValues.displaySize(needed) + " for checkpoints to come on time (more for the"
                + " peaks): ALTER SYSTEM SET max_wal_size = '" + SettingValues.displaySize(needed) + "'; SELECT"
                + " pg_reload_conf();";
    }

    private static String time(Instant instant) {
        return TIME.format(instant);
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

    /**
     * What the check remembers of one run: when, the checkpointer's counters, the WAL position and since when the
     * counters run.
     */
    record Reading(Instant at, long timed, long requested, long walPosition, OffsetDateTime statsReset) {

        /** Whether {@code later}'s counters continue these: no reset, no restart that lost them, time went forward. */
        boolean continuedBy(Reading later) {
            boolean sameReset = statsReset == null ? later.statsReset == null
                    : later.statsReset != null && statsReset.isEqual(later.statsReset);
            return sameReset && later.timed >= timed && later.requested >= requested
                    && later.walPosition >= walPosition && !later.at.isBefore(at);
        }
    }

    /**
     * The reading to judge against, or none and why.
     *
     * @param base   the newest reading at least a window old that the counters continue from, or {@code null}
     * @param hadAny whether the server had readings before this run
     * @param oldest the oldest reading the counters continue from, or {@code null}
     */
    record Baseline(Reading base, boolean hadAny, Reading oldest) {

        String whyNot(Reading now, Duration window) {
            if (!hadAny) {
                return "this guard has no earlier reading of this server's counters";
            }
            if (oldest == null) {
                return "the counters were reset (or the server restarted) after this guard's earlier readings";
            }
            return "this guard's oldest reading of these counters is " + SettingValues.format(
                    Duration.between(oldest.at(), now.at())) + " old, less than the window (" + SettingValues.format(window)
                    + ")";
        }
    }

    /** What one run judges: the counts and WAL of a period and how to name it. */
    private record Judged(long timed, long requested, long wal, String over, String walWritten, boolean windowed,
                          String note, String advice, String afterwards, String since, Duration period) {
    }
}
