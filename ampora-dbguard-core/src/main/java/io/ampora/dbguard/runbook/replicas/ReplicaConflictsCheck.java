package io.ampora.dbguard.runbook.replicas;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.ConnectionAttempt;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.check.Target;
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
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.stream.Collectors;

/**
 * Runbook 5, read replicas: queries on a hot standby cancelled with {@code ERROR: canceling statement due to
 * conflict with recovery} (SQLSTATE 40001; a session idle in its transaction gets {@code FATAL: terminating
 * connection due to conflict with recovery}) because WAL replay needed something they held: row versions
 * their snapshot still sees and VACUUM removed on the primary ({@code snapshot}), a table an ACCESS EXCLUSIVE
 * lock replayed from the primary covers ({@code lock}: TRUNCATE, DROP, ALTER, LOCK TABLE, VACUUM truncating
 * the table's end), a pinned buffer ({@code bufferpin}), a deadlock with replay ({@code deadlock}), a dropped
 * tablespace ({@code tablespace}) or, from PostgreSQL 16, rows a logical slot on the standby needs
 * ({@code active_logicalslot}). Each kind has its own cure, so each gets a finding with its count and fix,
 * with the standby's {@code hot_standby_feedback}, {@code max_standby_streaming_delay} and
 * {@code max_standby_archive_delay} as evidence. The kinds are the columns {@code pg_stat_database_conflicts}
 * has on the server, not a list per version.
 *
 * <p>It looks at the configured read replica, or, when none is configured, at the guard's own server (the
 * doctor pointed at the standby's URL). SKIP on a server that is not in recovery: only a standby replays WAL.
 * UNKNOWN when a configured replica cannot be reached ({@code replica-lag} diagnoses why). Any role can read
 * the counters and settings it uses.
 *
 * <p>The counters are cumulative since the statistics were reset, so the check remembers the previous run's
 * counts per server and database: the first run WARNs when any count is above {@code warnAbove} (0) and says
 * since when they ran; later runs WARN only when they grew by more than {@code warnAbove} since the previous
 * run, and otherwise PASS, stating the totals. A conflict that has ended thus stops warning after one run of
 * a monitor, and a new cancellation shows at the next. Keep one guard (one check object) across runs for
 * this; a new guard starts again from "since the reset".
 *
 * <p>WARN, never FAIL: a cancelled read is retryable (40001 is a serialization failure), the standby and the
 * primary keep serving, and each cure trades against something else (bloat on the primary, replica lag), so
 * it is a decision for a person, not a reason to stop a deployment or page anyone by itself.
 */
public final class ReplicaConflictsCheck implements DatabaseCheck {

    /** New cancellations tolerated before the check warns. */
    public static final CheckSetting<Long> WARN_ABOVE = CheckSetting.count("warnAbove", 0,
            "how many standby queries cancelled by recovery conflicts since the previous run (on the first run: since"
                    + " the statistics were reset) to tolerate before warning");

    private static final String PREFIX = "confl_";
    private static final String RETRY = "Meanwhile the application can retry a read cancelled with SQLSTATE 40001"
            + " (\"canceling statement due to conflict with recovery\") or send it to the primary.";
    /** The kinds PostgreSQL counts, by the view's column without {@code confl_}, in the order they are shown. */
    private static final Map<String, Kind> KINDS = kinds();
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    /** The previous observation per server and database; a report and the monitor may run this check at once. */
    private final ConcurrentMap<String, Observation> previous = new ConcurrentHashMap<>();

    @Override
    public String id() {
        return "replica-conflicts";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.REPLICA_LAG;
    }

    @Override
    public String description() {
        return "Queries on the hot standby cancelled by conflicts with recovery (snapshot, lock, buffer pin, deadlock,"
                + " tablespace, logical slot) since the previous run, each kind with its fix.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(WARN_ABOVE);
    }

    /**
     * {@code false}: past cancellations on a standby say nothing about whether a new instance can start.
     *
     * @return {@code false}
     */
    @Override
    public boolean startupCritical() {
        return false;
    }

    /**
     * {@link CheckScope#DATABASE}: every instance reading from the standby would see the same counters.
     *
     * @return {@link CheckScope#DATABASE}
     */
    @Override
    public CheckScope scope() {
        return CheckScope.DATABASE;
    }

    /**
     * {@link CheckCost#CHEAP}: one row of two statistics views, a few settings.
     *
     * @return {@link CheckCost#CHEAP}
     */
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

    @Override
    public CheckResult run(CheckContext context) throws SQLException {
        ConnectionAttempt replica = context.connectionAttempt(Target.REPLICA);
        boolean replicaConfigured = replica.succeeded() || replica.error().isPresent() || replica.timedOut();
        if (replicaConfigured && !replica.succeeded()) {
            return CheckResult.unknown(this, "A read replica is configured but could not be reached, so its recovery"
                    + " conflicts are unknown (the replica-lag check says why it is unreachable).");
        }
        Observation now = Observation.read(replicaConfigured ? context.connection(Target.REPLICA) : context.connection(),
                context.clock().instant());
        if (!now.inRecovery()) {
            return notAStandby(now, replicaConfigured);
        }
        Observation before = previous.put(now.key(), now);
        boolean comparable = before != null && now.continues(before);
        Map<String, Long> fresh = comparable ? now.growthSince(before) : now.nonZero();
        long total = fresh.values().stream().mapToLong(Long::longValue).sum();
        String since = comparable ? "since the previous run at " + time(before.at()) + " ("
                + SettingValues.format(Duration.between(before.at(), now.at())) + " ago)"
                : now.since() + (before != null ? " (the counters were reset after the previous run)" : "");
        long warnAbove = context.setting(WARN_ABOVE);
        if (total <= warnAbove) {
            String newOnes = total == 0 ? "no query was cancelled by a conflict with recovery " + since
                    : total + " " + queries(total) + " (" + describe(fresh) + ") cancelled by conflicts with recovery "
                    + since + ", not above warnAbove (" + warnAbove + ")";
            return CheckResult.pass(this, "On the standby " + now.name() + ", " + newOnes + "; "
                    + (comparable || total > 0 ? "totals " + now.since() + ": " + totals(now) + "; " : "")
                    + now.settings() + ".");
        }
        CheckResult.Builder result = CheckResult.builder(this).status(CheckStatus.WARN);
        List<String> fixes = new ArrayList<>();
        fresh.forEach((kind, count) -> {
            Kind k = KINDS.getOrDefault(kind, Kind.unknown(kind));
            result.finding(k.finding(now, count, since));
            fixes.add(k.name() + ": " + k.fix(now));
        });
        return result.summary("On the standby " + now.name() + ", WAL replay cancelled " + total + " " + queries(total)
                        + " (" + describe(fresh) + ") " + since + (comparable ? "; totals " + now.since() + ": "
                        + totals(now) : "") + "; " + now.settings() + ".")
                .remediation(String.join("\n", fixes) + "\n" + RETRY)
                .build();
    }

    private CheckResult notAStandby(Observation server, boolean replicaConfigured) {
        String reason = replicaConfigured
                ? "The configured read replica " + server.name() + " is not in recovery (it is a primary; the replica-lag"
                + " check fails that): queries are cancelled by conflicts with recovery only on a hot standby."
                : "This server, " + server.name() + ", is not in recovery (a primary): queries are cancelled by conflicts"
                + " with recovery only on a hot standby. Configure the read replica the application reads from"
                + " (DbGuard.builder().replicaDataSource(...) or replicaJdbcUrl(...); doctor: --replica-jdbc-url) so that"
                + " this check looks at it.";
        return CheckResult.skip(this, reason);
    }

    private static String queries(long count) {
        return count == 1 ? "query" : "queries";
    }

    /** "lock 2, snapshot 1" for the kinds given. */
    private static String describe(Map<String, Long> counts) {
        return counts.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    }

    /** Every kind's total since the reset, the kinds at zero summed up as "other kinds 0". */
    private static String totals(Observation o) {
        Map<String, Long> nonZero = o.nonZero();
        if (nonZero.isEmpty()) {
            return "0 of every kind (" + String.join(", ", o.counts().keySet()) + ")";
        }
        return describe(nonZero) + (nonZero.size() < o.counts().size() ? ", other kinds 0" : "");
    }

    private static String time(Instant instant) {
        return TIME.format(instant);
    }

    private static Map<String, Kind> kinds() {
        Map<String, Kind> kinds = new LinkedHashMap<>();
        kinds.put("snapshot", new Kind("snapshot", "snapshot", "User query might have needed to see row versions that must be removed.",
                "replay removed row versions that the query's snapshot still saw (VACUUM or page pruning on the"
                        + " primary cleaned up rows deleted or updated there)",
                "set hot_standby_feedback = on on the standby (ALTER SYSTEM SET hot_standby_feedback = on; SELECT"
                        + " pg_reload_conf();), so that the primary keeps the rows standby queries still see, at the"
                        + " price of bloat on the primary while they run; or raise max_standby_streaming_delay (now"
                        + " %streaming%) so that replay waits longer before it cancels, at the price of replica lag; or"
                        + " keep standby queries shorter."));
        kinds.put("lock", new Kind("lock", "lock", "User was holding a relation lock for too long.",
                "replay needed an ACCESS EXCLUSIVE lock taken on the primary (TRUNCATE, DROP, ALTER TABLE, LOCK TABLE,"
                        + " REINDEX, or VACUUM truncating empty pages at the end of a table) on a relation the query"
                        + " held a lock on",
                "find what takes ACCESS EXCLUSIVE locks on the primary (migrations, TRUNCATE or LOCK TABLE in jobs;"
                        + " the primary's log with log_lock_waits) and run it when the standby is quiet; when it is"
                        + " VACUUM truncating a table's end, turn that off for the table: ALTER TABLE ... SET"
                        + " (vacuum_truncate = false). hot_standby_feedback does not prevent it; a larger"
                        + " max_standby_streaming_delay (now %streaming%) only lets replay wait longer, with replica"
                        + " lag."));
        kinds.put("bufferpin", new Kind("bufferpin", "buffer pin", "User was holding shared buffer pin for too long.",
                "replay had to clean a page the query kept pinned (a long scan or an open cursor on it)",
                "raise max_standby_streaming_delay (now %streaming%) and max_standby_archive_delay (now %archive%), at"
                        + " the price of replica lag; close cursors and keep standby queries short."));
        kinds.put("deadlock", new Kind("deadlock", "deadlock", "User transaction caused buffer deadlock with recovery.",
                "the query waited for a lock replay holds while replay waited for the query (a deadlock with the"
                        + " startup process, found after deadlock_timeout)",
                "raise max_standby_streaming_delay (now %streaming%), at the price of replica lag, and keep standby"
                        + " transactions short."));
        kinds.put("tablespace", new Kind("tablespace", "tablespace", "User was or might have been using tablespace that must be dropped.",
                "a tablespace dropped on the primary held the query's temporary files (temp_tablespaces)",
                "do not drop a tablespace standby queries use for temporary files; set temp_tablespaces on the standby"
                        + " to one that stays."));
        kinds.put("active_logicalslot", new Kind("active_logicalslot", "logical slot", "User was using a logical replication slot that must be invalidated.",
                "replay removed rows a logical replication slot on the standby still needed, so the slot was"
                        + " invalidated and its decoding session ended",
                "stream the standby through a physical replication slot (primary_slot_name) with hot_standby_feedback"
                        + " = on, so that the primary keeps the rows logical decoding on the standby needs; recreate"
                        + " the invalidated slot."));
        return Collections.unmodifiableMap(kinds);
    }

    /** One kind of recovery conflict: what replay needed and how to stop it. */
    private record Kind(String key, String name, String logDetail, String cause, String fixTemplate) {

        static Kind unknown(String kind) {
            return new Kind(kind, kind, null, "a conflict of kind " + kind + ", which this version of the check does not describe",
                    "see pg_stat_database_conflicts in the PostgreSQL documentation of this server's version.");
        }

        String fix(Observation o) {
            return fixTemplate.replace("%streaming%", o.streamingDelay()).replace("%archive%", o.archiveDelay());
        }

        Finding finding(Observation o, long count, String since) {
            String column = PREFIX + key;
            return Finding.builder(count + " " + queries(count) + " on the standby " + o.name() + " cancelled " + since
                            + " by " + name + " conflicts (" + column + "): " + cause + ". The cancelled sessions got \"canceling"
                            + " statement due to conflict with recovery\" (or \"terminating connection ...\" when idle in a"
                            + " transaction; SQLSTATE 40001)" + (logDetail == null ? "" : ", logged with the detail \""
                            + logDetail + "\"") + ". Fix: " + fix(o))
                    .detail("kind", name)
                    .detail("column", column)
                    .detail("count", count)
                    .detail("logDetail", logDetail)
                    .detail("total", o.counts().get(key))
                    .detail("since", since)
                    .detail("server", o.name())
                    .detail("database", o.database())
                    .detail("hotStandbyFeedback", o.feedback())
                    .detail("maxStandbyStreamingDelay", o.streamingDelay())
                    .detail("maxStandbyArchiveDelay", o.archiveDelay())
                    .build();
        }
    }

    /**
     * One reading of {@code replica-conflicts.sql}.
     *
     * @param counts per kind (the view's column without {@code confl_}): the kinds this check describes in its order,
     *               then any other the server's view has
     */
    private record Observation(boolean inRecovery, String systemIdentifier, String addr, int port, String database,
                               OffsetDateTime statsReset, OffsetDateTime startedAt, String feedback,
                               String streamingDelay, String archiveDelay, Map<String, Long> counts, Instant at) {

        static Observation read(Connection connection, Instant at) throws SQLException {
            Map<String, Long> found = new LinkedHashMap<>();
            Observation server = null;
            try (Statement st = connection.createStatement();
                 ResultSet rs = st.executeQuery(Sql.load(ReplicaConflictsCheck.class, "replica-conflicts"))) {
                while (rs.next()) {
                    if (server == null) {
                        server = new Observation(rs.getBoolean("in_recovery"), rs.getString("system_identifier"),
                                rs.getString("server_addr"), rs.getInt("server_port"), rs.getString("database_name"),
                                rs.getObject("stats_reset", OffsetDateTime.class),
                                rs.getObject("started_at", OffsetDateTime.class), rs.getString("hot_standby_feedback"),
                                rs.getString("max_standby_streaming_delay"), rs.getString("max_standby_archive_delay"),
                                Map.of(), at);
                    }
                    found.put(rs.getString("kind").substring(PREFIX.length()), rs.getLong("count"));
                }
            }
            if (server == null) {
                throw new SQLException("pg_stat_database_conflicts has no row for the current database");
            }
            // the kinds this check describes first, in its order; a kind only a newer version counts after them
            Map<String, Long> counts = new LinkedHashMap<>();
            KINDS.keySet().stream().filter(found::containsKey).forEach(k -> counts.put(k, found.get(k)));
            counts.putAll(found);
            return new Observation(server.inRecovery, server.systemIdentifier, server.addr, server.port, server.database,
                    server.statsReset, server.startedAt, server.feedback, server.streamingDelay, server.archiveDelay,
                    Collections.unmodifiableMap(counts), at);
        }

        /** What the previous observation is looked up by: the cluster, the server and the database. */
        String key() {
            return Objects.toString(systemIdentifier, "?") + "|" + addr + ":" + port + "|" + database;
        }

        /** Whether this reading continues {@code before}'s counters (no reset in between). */
        boolean continues(Observation before) {
            return Objects.equals(statsReset, before.statsReset)
                    && counts.entrySet().stream().allMatch(e -> e.getValue() >= before.counts.getOrDefault(e.getKey(), 0L));
        }

        Map<String, Long> growthSince(Observation before) {
            Map<String, Long> grown = new LinkedHashMap<>();
            counts.forEach((kind, count) -> {
                long delta = count - before.counts.getOrDefault(kind, 0L);
                if (delta > 0) {
                    grown.put(kind, delta);
                }
            });
            return grown;
        }

        Map<String, Long> nonZero() {
            Map<String, Long> nonZero = new LinkedHashMap<>();
            counts.forEach((kind, count) -> {
                if (count > 0) {
                    nonZero.put(kind, count);
                }
            });
            return nonZero;
        }

        /** Since when the counters run. */
        String since() {
            return statsReset != null ? "since the statistics were reset at " + time(statsReset.toInstant())
                    : "since the statistics began (never reset; the server started at "
                    + (startedAt == null ? "an unknown time" : time(startedAt.toInstant())) + ")";
        }

        String settings() {
            return "hot_standby_feedback " + feedback + ", max_standby_streaming_delay " + streamingDelay
                    + ", max_standby_archive_delay " + archiveDelay;
        }

        String name() {
            return (port > 0 ? addr + ":" + port : addr) + "/" + database;
        }
    }
}
