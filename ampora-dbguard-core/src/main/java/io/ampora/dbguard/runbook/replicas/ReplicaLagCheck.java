package io.ampora.dbguard.runbook.replicas;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.ConnectionAttempt;
import io.ampora.dbguard.check.ConnectionInfo;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.ServerFacts;
import io.ampora.dbguard.check.SettingOrder;
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.check.Target;
import io.ampora.dbguard.internal.SettingValues;
import io.ampora.dbguard.runbook.connections.ConnectionDiagnosis;
import io.ampora.dbguard.runbook.connections.ConnectionFailureClassifier;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Runbook 5, "Replica lag": how far the read replica the application reads from is behind the primary,
 * read on the replica as the runbook does ({@code now() - pg_last_xact_replay_timestamp()}, and 0 when
 * everything received is replayed), plus what that formula alone cannot see: a WAL receiver that is not
 * streaming (the formula then reads 0 forever while the data is frozen) and replay paused. Also FAILs a
 * configured "replica" that is not in recovery (reads and writes hit a primary by accident) and a
 * replica that cannot be reached, with the connection diagnosis. WARN from {@code warnAfter} (1s), FAIL
 * from {@code failAfter} (30s); SKIP when no replica is configured.
 *
 * <p>The consequence it explains is the runbook's: reads from a lagging replica miss a write just made
 * ("just published a config but it does not appear in the list"), which is why the rollout state machine
 * and audit writes always go to the primary.
 */
public final class ReplicaLagCheck implements DatabaseCheck {

    /** Apply lag from which the check warns. */
    public static final CheckSetting<Duration> WARN_AFTER = CheckSetting.duration("warnAfter", Duration.ofSeconds(1),
            "replica apply lag from which to warn");
    /** Apply lag from which the check fails. */
    public static final CheckSetting<Duration> FAIL_AFTER = CheckSetting.duration("failAfter", Duration.ofSeconds(30),
            "replica apply lag from which to fail");

    private static final String CONSEQUENCE = "reads from the replica may miss a write just made on the primary"
            + " (\"just published a config but it does not appear in the list\")";
    private static final String ROUTING = "The rollout state machine and audit writes must go to the primary, and so"
            + " must any read that has to see a write just made.";
    /** How long to wait before reading a lag again, so a record received but not yet replayed is not lag. */
    private static final Duration RECHECK_AFTER = Duration.ofMillis(200);
    /** Lag methods, as the {@code lagMethod} detail names them. */
    static final String METHOD_POSITIONS = "positions";
    static final String METHOD_PROGRESS = "replay progress";
    static final String METHOD_LAST_COMMIT = "last replayed commit";
    private static final String PAUSE_STATE_14 = "pg_catalog.pg_get_wal_replay_pause_state()";
    private static final String PAUSE_STATE_13 =
            "CASE WHEN pg_catalog.pg_is_wal_replay_paused() THEN 'paused' ELSE 'not paused' END";

    @Override
    public String id() {
        return "replica-lag";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.REPLICA_LAG;
    }

    @Override
    public String description() {
        return "How far the read replica is behind the primary, whether it still streams and replays, and whether"
                + " it is a standby at all.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(WARN_AFTER, FAIL_AFTER);
    }

    @Override
    public List<SettingOrder<?>> settingOrders() {
        return List.of(SettingOrder.higherIsWorse(WARN_AFTER, FAIL_AFTER));
    }

    @Override
    public Target target() {
        return Target.REPLICA;
    }

    /**
     * {@code false}: an unreachable replica gets this check's connection diagnosis rather than the runner's
     * generic "not run"; the check opens its session only once the replica answered.
     *
     * @return {@code false}
     */
    @Override
    public boolean requiresConnection() {
        return false;
    }

    /**
     * {@link CheckScope#DATABASE}: every instance would see the same answer.
     *
     * @return {@link CheckScope#DATABASE}
     */
    @Override
    public CheckScope scope() {
        return CheckScope.DATABASE;
    }

    /**
     * {@link CheckCost#CHEAP}: a few rows from statistics views.
     *
     * @return {@link CheckCost#CHEAP}
     */
    @Override
    public CheckCost cost() {
        return CheckCost.CHEAP;
    }

    /**
     * {@link Probe#STARTUP} only: a FAIL keeps a starting instance from reporting started, as {@code verifyOrFail()}
     * does, but leaves readiness alone: a database-wide condition every instance sees at once (see
     * {@link DatabaseCheck#probes()}). The monitor still reports, logs and counts it.
     *
     * @return {@link Probe#STARTUP}
     */
    @Override
    public Set<Probe> probes() {
        return EnumSet.of(Probe.STARTUP);
    }

    @Override
    public CheckResult run(CheckContext context) throws SQLException, InterruptedException {
        ConnectionAttempt attempt = context.connectionAttempt(Target.REPLICA);
        if (!attempt.succeeded()) {
            if (attempt.error().isEmpty() && !attempt.timedOut()) {
                return CheckResult.skip(this, "No read replica is configured, so there is no replica lag to check; set"
                        + " DbGuard.builder().replicaDataSource(...) or replicaJdbcUrl(...) (doctor: --replica-jdbc-url)"
                        + " if the application reads from one.");
            }
            return unreachable(attempt, context.options().replicaConnection());
        }
        Connection connection = context.connection();
        Server server = Server.read(connection);
        if (!server.inRecovery()) {
            return notInRecovery(server, context.options().connection(), context.options().replicaConnection());
        }
        ServerFacts facts = attempt.facts().orElseThrow();
        String pauseState = facts.versionNum() >= 140000 ? PAUSE_STATE_14 : PAUSE_STATE_13;
        Duration warnAfter = context.setting(WARN_AFTER);
        Standby standby = Standby.read(connection, pauseState);
        if (standby.lag() != null && standby.lag().compareTo(warnAfter) >= 0 && !standby.paused()) {
            // For the milliseconds between receiving a record and replaying it, the formula reads "time since
            // the last replayed commit", hours on an idle primary that just wrote a checkpoint or a
            // running-xacts record, or all along a long transaction that streams WAL without a commit.
            // Read once more: a replica that replayed everything the first reading had received keeps up,
            // its real delay is below the time between the readings; one that did not really lags.
            Standby first = standby;
            long start = System.nanoTime();
            Thread.sleep(RECHECK_AFTER.toMillis());
            standby = Standby.read(connection, pauseState);
            Duration between = Duration.ofNanos(System.nanoTime() - start);
            if (standby.lag() != null && !standby.lag().isZero() && first.receiveLsn() != null
                    && standby.replayLsn() != null && lsn(standby.replayLsn()) >= lsn(first.receiveLsn())) {
                standby = standby.measured(between, METHOD_PROGRESS);
            }
        }
        List<Blocker> blockers = standby.lag() != null && standby.lag().compareTo(warnAfter) >= 0 && !standby.paused()
                ? Blocker.read(connection) : List.of();
        return evaluate(server, standby, blockers, facts, warnAfter, context.setting(FAIL_AFTER));
    }

    private CheckResult evaluate(Server server, Standby s, List<Blocker> blockers, ServerFacts facts,
                                 Duration warnAfter, Duration failAfter) {
        CheckResult.Builder result = CheckResult.builder(this);
        List<String> remedies = new ArrayList<>();
        String where = server.name();
        String summary = "Replica " + where + ": " + lagText(s.lag()) + " (" + methodText(s) + "), "
                + SettingValues.formatBytes(s.bytesBehind())
                + " received but not replayed (warn " + SettingValues.format(warnAfter) + ", fail "
                + SettingValues.format(failAfter) + ")";
        boolean behind = lag(result, remedies, where, s, blockers, facts, warnAfter, failAfter);
        summary += receiver(result, remedies, where, s, facts);
        if (s.paused()) {
            result.atLeast(CheckStatus.WARN);
            summary += "; WAL replay is " + s.pauseState();
            result.finding(Finding.builder("WAL replay is " + s.pauseState() + " on the replica " + where + " (someone ran"
                            + " pg_wal_replay_pause()): it keeps receiving WAL but applies none of it, so every write on"
                            + " the primary from now on is missing from reads until replay resumes"
                            + (behind ? "." : "; " + CONSEQUENCE + "."))
                    .detail("replica", where)
                    .detail("pauseState", s.pauseState())
                    .detail("bytesBehind", s.bytesBehind())
                    .detail("resume", "SELECT pg_wal_replay_resume()")
                    .build());
            remedies.add(0, "Resume replay on the replica, as a superuser there: SELECT pg_wal_replay_resume();");
        } else {
            summary += "; replay not paused";
        }

        if (s.receiverRunning() && s.receiverStatus() == null && result.status() == CheckStatus.PASS) {
            result.status(CheckStatus.UNKNOWN);
        }
        if (result.status() == CheckStatus.WARN || result.status() == CheckStatus.FAIL) {
            remedies.add(ROUTING);
        }
        return result.summary(summary + ".").remediation(String.join(" ", remedies)).build();
    }

    /** Judges the lag and names the sessions holding back replay; returns whether the replica is behind. */
    private static boolean lag(CheckResult.Builder result, List<String> remedies, String where, Standby s,
                               List<Blocker> blockers, ServerFacts facts, Duration warnAfter, Duration failAfter) {
        Duration lag = s.lag();
        CheckStatus status = lag == null ? CheckStatus.PASS
                : lag.compareTo(failAfter) >= 0 ? CheckStatus.FAIL
                : lag.compareTo(warnAfter) >= 0 ? CheckStatus.WARN : CheckStatus.PASS;
        boolean behind = status != CheckStatus.PASS || (lag == null && s.bytesBehind() > 0);
        if (!behind) {
            return false;
        }
        result.atLeast(status == CheckStatus.PASS ? CheckStatus.WARN : status);
        result.finding(lagFinding(where, s, lag, warnAfter, failAfter));
        long delayMs = facts.settingAsLong("max_standby_streaming_delay", 30_000);
        blockers.forEach(b -> result.finding(b.finding(where, delayMs)));
        if (!blockers.isEmpty()) {
            remedies.add("Replay waits for session(s) on the replica (pid " + blockers.stream()
                    .map(b -> String.valueOf(b.pid())).collect(Collectors.joining(", "))
                    + "): end them there (SELECT pg_terminate_backend(pid)) and keep replica transactions short;"
                    + " PostgreSQL cancels them itself after max_standby_streaming_delay.");
        } else if (!s.paused()) {
            remedies.add("Find why replay falls behind: queries on the replica that conflict with replay"
                    + " (max_standby_streaming_delay, pg_stat_database_conflicts), I/O saturation on the replica, or"
                    + " the network between primary and replica.");
        }
        return true;
    }

    /** Judges the WAL receiver, which the lag formula cannot see; returns the summary's fragment about it. */
    private static String receiver(CheckResult.Builder result, List<String> remedies, String where, Standby s,
                                   ServerFacts facts) {
        String lagText = lagText(s.lag());
        if (!s.receiverRunning()) {
            result.atLeast(CheckStatus.FAIL);
            result.finding(Finding.builder("No WAL receiver runs on the replica " + where + ": it receives nothing from"
                            + " the primary, so its lag formula reads " + lagText + " while its data stays frozen at"
                            + " the last replayed transaction (" + orUnknown(s.lastReplayAt()) + "); " + CONSEQUENCE + ".")
                    .detail("replica", where)
                    .detail("receiverRunning", false)
                    .detail("lastReplayAt", orUnknown(s.lastReplayAt()))
                    .detail("replayLsn", s.replayLsn())
                    .detail("receiveLsn", s.receiveLsn())
                    .build());
            remedies.add(reconnect());
            return "; no WAL receiver runs: it is not receiving changes";
        }
        if (s.receiverStatus() == null) {
            result.finding(Finding.builder("A WAL receiver runs on the replica " + where + ", but its status and last"
                            + " message time are hidden from " + facts.currentUser() + ": the lag formula reads 0"
                            + " forever once the receiver is disconnected, so a low lag proves nothing here.")
                    .detail("replica", where)
                    .detail("receiverRunning", true)
                    .detail("grant", "GRANT pg_read_all_stats TO " + facts.currentUser())
                    .build());
            remedies.add("Grant the guard's role pg_read_all_stats (or pg_monitor) on the primary, so that it can see the"
                    + " replica's WAL receiver: GRANT pg_read_all_stats TO " + facts.currentUser() + ".");
            return "; whether its WAL receiver streams is hidden from " + facts.currentUser();
        }
        if (!"streaming".equals(s.receiverStatus())) {
            result.atLeast(CheckStatus.FAIL);
            result.finding(receiverFinding("The WAL receiver of the replica " + where + " is " + s.receiverStatus()
                    + ", not streaming: the replica is not receiving changes, its lag formula reads " + lagText
                    + " while its data stays frozen at the last replayed transaction (" + orUnknown(s.lastReplayAt())
                    + "); " + CONSEQUENCE + ".", where, s));
            remedies.add(reconnect());
            return "; WAL receiver " + s.receiverStatus() + ", not streaming";
        }
        long timeoutMs = facts.settingAsLong("wal_receiver_timeout", 60_000);
        Double age = s.lastMessageAgeSeconds();
        if (timeoutMs > 0 && age != null && age * 1000 > timeoutMs) {
            result.atLeast(CheckStatus.WARN);
            result.finding(receiverFinding("The WAL receiver of the replica " + where + " has heard nothing from the"
                    + " primary for " + SettingValues.format(seconds(age)) + ", longer than wal_receiver_timeout ("
                    + SettingValues.format(Duration.ofMillis(timeoutMs)) + "): the connection is probably dead"
                    + " and the lag reading stale.", where, s));
            remedies.add(reconnect());
            return "; WAL receiver streaming from " + s.sender() + ", but silent for " + SettingValues.format(seconds(age));
        }
        return "; WAL receiver streaming from " + s.sender();
    }

    /** How the lag was measured, in words. */
    private static String methodText(Standby s) {
        return switch (s.method()) {
            case METHOD_POSITIONS -> "by positions: everything received is replayed";
            case METHOD_PROGRESS -> "by replay progress: within " + SettingValues.format(s.lag())
                    + " it replayed all it had received";
            default -> s.lag() == null ? "nothing replayed yet" : "by the last replayed commit"
                    + (s.newestWalSentSeconds() != null && seconds(s.newestWalSentSeconds()).compareTo(s.lag()) < 0
                    ? "; the newest waiting WAL was sent " + SettingValues.format(seconds(s.newestWalSentSeconds()))
                    + " ago" : "");
        };
    }

    /** An LSN ("16/B374D848") as a number, to compare positions. */
    static long lsn(String text) {
        int slash = text.indexOf('/');
        return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
    }

    private static String lagText(Duration lag) {
        return lag == null ? "lag unknown (no transaction replayed since the replica started)"
                : "lag " + SettingValues.format(lag);
    }

    private static Finding lagFinding(String where, Standby s, Duration lag, Duration warnAfter, Duration failAfter) {
        String how = lag == null ? "is behind the primary by an unknown time" : "is " + SettingValues.format(lag)
                + " behind the primary (" + methodText(s) + ")";
        if (lag != null && METHOD_LAST_COMMIT.equals(s.method()) && s.newestWalSentSeconds() != null
                && seconds(s.newestWalSentSeconds()).compareTo(lag) < 0) {
            how += "; the real delay is between " + SettingValues.format(seconds(s.newestWalSentSeconds())) + " and "
                    + SettingValues.format(lag) + ": the last replayed commit is older when the primary was quiet before"
                    + " the WAL now waiting";
        }
        return Finding.builder("The replica " + where + " " + how + " (" + SettingValues.formatBytes(s.bytesBehind())
                        + " received but not yet replayed; last replayed transaction committed at "
                        + orUnknown(s.lastReplayAt()) + "): " + CONSEQUENCE + ".")
                .detail("replica", where)
                .detail("lagSeconds", lag == null ? null : lag.toMillis() / 1000.0)
                .detail("lagMethod", s.method())
                .detail("newestWalSentSecondsAgo", s.newestWalSentSeconds())
                .detail("bytesBehind", s.bytesBehind())
                .detail("receiveLsn", s.receiveLsn())
                .detail("replayLsn", s.replayLsn())
                .detail("lastReplayAt", orUnknown(s.lastReplayAt()))
                .detail("replayPaused", s.paused())
                .detail("warnAfter", SettingValues.format(warnAfter))
                .detail("failAfter", SettingValues.format(failAfter))
                .build();
    }

    private static Finding receiverFinding(String message, String where, Standby s) {
        return Finding.builder(message)
                .detail("replica", where)
                .detail("receiverStatus", s.receiverStatus())
                .detail("sender", s.sender())
                .detail("lastMessageAgeSeconds", s.lastMessageAgeSeconds())
                .detail("lastReplayAt", orUnknown(s.lastReplayAt()))
                .build();
    }

    private static String reconnect() {
        return "Make the replica stream again: check primary_conninfo on it, that the primary is reachable from it and"
                + " allows replication connections (a pg_hba.conf 'replication' line, max_wal_senders, the replication"
                + " slot if one is used), and read the replica's server log.";
    }

    private CheckResult notInRecovery(Server server, ConnectionInfo primary, ConnectionInfo replica) {
        boolean samePlace = primary.isKnown() && replica.isKnown()
                && primary.host().equalsIgnoreCase(replica.host()) && primary.port() == replica.port()
                && primary.database().equals(replica.database());
        String what = samePlace
                ? "it is the primary itself (same host, port and database): reads and writes hit the same server by accident"
                : "it is a primary that accepts writes, so reads do not come from a standby of the primary";
        Finding.Builder finding = Finding.builder("The configured read replica " + server.name() + " is not in recovery"
                        + " (pg_is_in_recovery() is false): " + what + "; " + server.standbys()
                        + " standby(s) stream from it.")
                .detail("serverAddr", server.addr())
                .detail("serverPort", server.port())
                .detail("database", server.database())
                .detail("startedAt", orUnknown(server.startedAt()))
                .detail("standbys", server.standbys())
                .detail("sameAsPrimary", samePlace);
        if (replica.isKnown()) {
            finding.detail("url", replica.maskedUrl());
        }
        return CheckResult.builder(this).status(CheckStatus.FAIL)
                .summary("The configured read replica " + server.name() + " is not a standby (not in recovery): "
                        + (samePlace ? "it is the primary itself." : "it is a primary."))
                .finding(finding.build())
                .remediation("Point the replica connection (ConnectionStrings:AmporaRead, replicaDataSource or"
                        + " --replica-jdbc-url) at a streaming standby of the primary, or remove it so that reads go to"
                        + " the primary knowingly. If this server was a replica that got promoted (a failover), it and"
                        + " the old primary have diverged: point the application's writes at the new primary and rebuild"
                        + " a replica from it.")
                .build();
    }

    private CheckResult unreachable(ConnectionAttempt attempt, ConnectionInfo info) {
        ConnectionDiagnosis diagnosis = ConnectionFailureClassifier.diagnose(attempt);
        String where = info.isKnown() ? " at " + info.host() + ":" + info.port() : "";
        Finding.Builder finding = Finding.builder("Cannot connect to the read replica" + where + ": "
                        + diagnosis.cause().meaning() + ". Its lag is unknown, and reads routed to it fail.")
                .detail("cause", diagnosis.cause().name())
                .detail("driverMessage", diagnosis.driverMessage())
                .detail("sqlState", diagnosis.sqlState());
        if (info.isKnown()) {
            finding.detail("url", info.maskedUrl())
                    .detail("host", info.host())
                    .detail("port", info.port())
                    .detail("database", info.database())
                    .detail("user", info.user());
        }
        finding.detail("elapsedMs", attempt.duration().toMillis());
        return CheckResult.builder(this).status(CheckStatus.FAIL)
                .summary("Cannot connect to the read replica" + where + ": " + diagnosis.cause().meaning() + ".")
                .finding(finding.build())
                .remediation(ConnectionFailureClassifier.remediation(diagnosis, info.isKnown() ? info.user() : null,
                        info.isKnown() ? info.database() : null) + " Until the replica answers, send reads to the primary.")
                .build();
    }

    private static Duration seconds(double value) {
        return Duration.ofMillis(Math.round(value * 1000));
    }

    private static String orUnknown(OffsetDateTime time) {
        return time == null ? "unknown" : time.toString();
    }

    /** A replica session the startup process waits for, from {@code replica-lag-blockers.sql}. */
    private record Blocker(int pid, String user, String application, String state, String query, Double xactAgeSeconds,
                           String relation) {

        static List<Blocker> read(Connection connection) throws SQLException {
            List<Blocker> blockers = new ArrayList<>();
            try (Statement st = connection.createStatement();
                 ResultSet rs = st.executeQuery(Sql.load(ReplicaLagCheck.class, "replica-lag-blockers"))) {
                while (rs.next()) {
                    double age = rs.getDouble("xact_age_seconds");
                    blockers.add(new Blocker(rs.getInt("pid"), rs.getString("user_name"), rs.getString("application_name"),
                            rs.getString("state"), rs.getString("query"), rs.wasNull() ? null : age,
                            rs.getString("relation")));
                }
            }
            return blockers;
        }

        Finding finding(String where, long maxStandbyStreamingDelayMs) {
            String open = xactAgeSeconds == null ? "" : " whose transaction has been open "
                    + SettingValues.format(seconds(xactAgeSeconds));
            String limit = maxStandbyStreamingDelayMs < 0 ? "never cancels it (max_standby_streaming_delay = -1)"
                    : "cancels it after max_standby_streaming_delay ("
                    + SettingValues.format(Duration.ofMillis(maxStandbyStreamingDelayMs)) + ")";
            return Finding.builder("WAL replay on the replica " + where + " waits for pid " + pid + " ("
                            + (application.isEmpty() ? "no application_name" : application) + ", user " + user + ", "
                            + (state.isEmpty() ? "state hidden" : state) + ")" + open + ": it holds a lock on "
                            + relation + " that conflicts with an ACCESS EXCLUSIVE lock replayed from the primary,"
                            + " and PostgreSQL " + limit + ".")
                    .detail("pid", pid)
                    .detail("relation", relation)
                    .detail("user", user)
                    .detail("applicationName", application)
                    .detail("state", state)
                    .detail("query", query)
                    .detail("xactAgeSeconds", xactAgeSeconds)
                    .detail("maxStandbyStreamingDelayMs", maxStandbyStreamingDelayMs)
                    .build();
        }
    }

    /** Who the configured replica really is, from {@code replica-lag-server.sql}. */
    private record Server(boolean inRecovery, String addr, int port, String database, OffsetDateTime startedAt,
                          long standbys) {

        static Server read(Connection connection) throws SQLException {
            try (Statement st = connection.createStatement();
                 ResultSet rs = st.executeQuery(Sql.load(ReplicaLagCheck.class, "replica-lag-server"))) {
                rs.next();
                return new Server(rs.getBoolean("in_recovery"), rs.getString("server_addr"), rs.getInt("server_port"),
                        rs.getString("database_name"), rs.getObject("started_at", OffsetDateTime.class),
                        rs.getLong("standbys"));
            }
        }

        String name() {
            return (port > 0 ? addr + ":" + port : addr) + "/" + database;
        }
    }

    /** A standby's replay and receiver state, from {@code replica-lag.sql}. */
    private record Standby(String receiveLsn, String replayLsn, long bytesBehind, OffsetDateTime lastReplayAt,
                           Duration lag, String pauseState, boolean receiverRunning, String receiverStatus,
                           Double lastMessageAgeSeconds, String senderHost, int senderPort,
                           Double newestWalSentSeconds, String method) {

        /** The same reading with a lag measured by another method. */
        Standby measured(Duration measuredLag, String how) {
            return new Standby(receiveLsn, replayLsn, bytesBehind, lastReplayAt, measuredLag, pauseState, receiverRunning,
                    receiverStatus, lastMessageAgeSeconds, senderHost, senderPort, newestWalSentSeconds, how);
        }

        static Standby read(Connection connection, String pauseState) throws SQLException {
            String sql = Sql.load(ReplicaLagCheck.class, "replica-lag").replace("/*pause_state*/", pauseState);
            try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                double lagSeconds = rs.getDouble("lag_seconds");
                Duration lag = rs.wasNull() ? null : seconds(lagSeconds);
                double age = rs.getDouble("last_message_age_seconds");
                Double lastMessageAge = rs.wasNull() ? null : age;
                double sent = rs.getDouble("latest_end_age_seconds");
                Double newestWalSent = rs.wasNull() ? null : Math.max(0, sent);
                return new Standby(rs.getString("receive_lsn"), rs.getString("replay_lsn"),
                        Math.max(0, rs.getLong("bytes_behind")), rs.getObject("last_replay_at", OffsetDateTime.class),
                        lag, rs.getString("pause_state"), rs.getBoolean("receiver_running"),
                        rs.getString("receiver_status"), lastMessageAge, rs.getString("sender_host"),
                        rs.getInt("sender_port"), newestWalSent,
                        lag != null && lag.isZero() ? METHOD_POSITIONS : METHOD_LAST_COMMIT);
            }
        }

        boolean paused() {
            return pauseState != null && !"not paused".equals(pauseState.toLowerCase(Locale.ROOT));
        }

        String sender() {
            return senderHost == null ? "unknown" : senderPort > 0 ? senderHost + ":" + senderPort : senderHost;
        }
    }
}
