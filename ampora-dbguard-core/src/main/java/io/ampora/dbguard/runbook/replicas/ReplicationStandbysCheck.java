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
import io.ampora.dbguard.check.ServerFacts;
import io.ampora.dbguard.check.SettingOrder;
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.check.Target;
import io.ampora.dbguard.internal.SettingValues;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Runbook 5 seen from the primary: the physical standbys streaming from it ({@code pg_stat_replication}),
 * their replay lag and bytes behind, and, when a read replica is configured, the case where no standby
 * streams at all (a disconnected replica serves older and older data). WARN from {@code warnAfter} (1s),
 * FAIL from {@code failAfter} (30s) of {@code replay_lag}; SKIP when nothing streams and no replica is
 * configured. It complements {@code replica-lag}, which looks from the replica itself.
 */
public final class ReplicationStandbysCheck implements DatabaseCheck {

    /** Standby replay lag from which the check warns. */
    public static final CheckSetting<Duration> WARN_AFTER = CheckSetting.duration("warnAfter", Duration.ofSeconds(1),
            "standby replay lag (pg_stat_replication.replay_lag) from which to warn");
    /** Standby replay lag from which the check fails. */
    public static final CheckSetting<Duration> FAIL_AFTER = CheckSetting.duration("failAfter", Duration.ofSeconds(30),
            "standby replay lag (pg_stat_replication.replay_lag) from which to fail");

    @Override
    public String id() {
        return "replication-standbys";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.REPLICA_LAG;
    }

    @Override
    public String description() {
        return "Standbys streaming from the primary with their replay lag; a configured replica with no standby"
                + " streaming.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(WARN_AFTER, FAIL_AFTER);
    }

    @Override
    public List<SettingOrder<?>> settingOrders() {
        return List.of(SettingOrder.higherIsWorse(WARN_AFTER, FAIL_AFTER));
    }

    /**
     * {@code false}: lag on a standby matters to a running service; at startup {@code replica-lag} already
     * fails a replica that is unreachable, not a standby or not streaming.
     *
     * @return {@code false}
     */
    @Override
    public boolean startupCritical() {
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
        List<Standby> standbys = new ArrayList<>();
        try (Statement st = context.connection().createStatement();
             ResultSet rs = st.executeQuery(Sql.load(ReplicationStandbysCheck.class, id()))) {
            while (rs.next()) {
                double lag = rs.getDouble("replay_lag_seconds");
                Duration replayLag = rs.wasNull() ? null : Duration.ofMillis(Math.round(lag * 1000));
                standbys.add(new Standby(rs.getInt("pid"), rs.getString("application_name"),
                        rs.getString("client_addr"), rs.getString("user_name"), rs.getString("state"),
                        rs.getString("sync_state"), rs.getBoolean("hidden"), replayLag,
                        Math.max(0, rs.getLong("bytes_behind")), rs.getString("replay_lsn")));
            }
        }
        if (standbys.isEmpty()) {
            return replicaConfigured ? noStandby() : CheckResult.skip(this,
                    "No standby streams from this server and no read replica is configured.");
        }
        return evaluate(standbys, context.facts(), context.setting(WARN_AFTER), context.setting(FAIL_AFTER));
    }

    private CheckResult evaluate(List<Standby> standbys, ServerFacts facts, Duration warnAfter, Duration failAfter) {
        CheckResult.Builder result = CheckResult.builder(this);
        List<Standby> hidden = standbys.stream().filter(Standby::hidden).toList();
        for (Standby s : standbys) {
            if (s.hidden()) {
                continue;
            }
            Duration lag = s.lag();
            CheckStatus status = !"streaming".equals(s.state()) ? CheckStatus.WARN
                    : lag != null && lag.compareTo(failAfter) >= 0 ? CheckStatus.FAIL
                    : lag != null && lag.compareTo(warnAfter) >= 0 ? CheckStatus.WARN : CheckStatus.PASS;
            if (status == CheckStatus.PASS) {
                continue;
            }
            result.atLeast(status);
            String why = !"streaming".equals(s.state()) ? "is in state " + s.state() + ", not yet streaming"
                    : "replays " + SettingValues.format(lag) + " behind this primary";
            result.finding(Finding.builder("Standby " + s.name() + " " + why + " (" + SettingValues.formatBytes(s.bytesBehind())
                            + " not yet replayed): reads from it may miss a write just made here (\"just published a"
                            + " config but it does not appear in the list\").")
                    .detail("pid", s.pid())
                    .detail("applicationName", s.applicationName())
                    .detail("clientAddr", s.clientAddr())
                    .detail("state", s.state())
                    .detail("syncState", s.syncState())
                    .detail("replayLagSeconds", lag == null ? null : lag.toMillis() / 1000.0)
                    .detail("bytesBehind", s.bytesBehind())
                    .detail("replayLsn", s.replayLsn())
                    .build());
        }
        if (!hidden.isEmpty()) {
            result.finding(Finding.builder(hidden.size() + " standby connection(s) ("
                            + hidden.stream().map(Standby::name).collect(Collectors.joining(", "))
                            + ") are visible, but their state and lag are hidden from " + facts.currentUser() + ".")
                    .detail("hiddenStandbys", hidden.size())
                    .detail("grant", "GRANT pg_read_all_stats TO " + facts.currentUser())
                    .build());
            if (result.status() == CheckStatus.PASS) {
                result.status(CheckStatus.UNKNOWN);
            }
        }
        String list = standbys.stream().map(Standby::describe).collect(Collectors.joining("; "));
        result.summary(standbys.size() + " standby(s) stream from this server: " + list + ".");
        if (result.status() == CheckStatus.UNKNOWN) {
            result.remediation("Grant the guard's role pg_read_all_stats (or pg_monitor): GRANT pg_read_all_stats TO "
                    + facts.currentUser() + ".");
        } else if (result.status() != CheckStatus.PASS) {
            result.remediation("Find why the standby falls behind: replay paused on it (SELECT pg_wal_replay_resume()),"
                    + " queries on it that conflict with replay, I/O on it, or the network. The rollout state machine"
                    + " and audit writes must go to the primary, and so must any read that has to see a write just made.");
        }
        return result.build();
    }

    private CheckResult noStandby() {
        return CheckResult.builder(this).status(CheckStatus.FAIL)
                .summary("A read replica is configured, but no standby streams from this server: the replica is"
                        + " disconnected, or it is not a standby of this primary.")
                .finding(Finding.builder("pg_stat_replication is empty on the primary while the application reads from a"
                                + " replica: a disconnected standby receives no changes, so reads from it get older and"
                                + " older (\"just published a config but it does not appear in the list\").")
                        .detail("standbys", 0)
                        .build())
                .remediation("On the replica, check primary_conninfo, that it reaches this primary and that a pg_hba.conf"
                        + " 'replication' line and max_wal_senders allow it; read its server log. The replica-lag check"
                        + " looks at it from its side. Until it streams, send reads to the primary.")
                .build();
    }

    /** One row of {@code pg_stat_replication}. */
    private record Standby(int pid, String applicationName, String clientAddr, String user, String state,
                           String syncState, boolean hidden, Duration replayLag, long bytesBehind, String replayLsn) {

        /** replay_lag is NULL when the standby is idle and caught up: that is no lag, not an unknown one. */
        Duration lag() {
            return replayLag == null && bytesBehind == 0 ? Duration.ZERO : replayLag;
        }

        String name() {
            return (applicationName.isEmpty() ? "pid " + pid : applicationName) + " (" + clientAddr + ")";
        }

        String describe() {
            if (hidden) {
                return name() + " state hidden";
            }
            return name() + " " + state + ", replay lag " + (lag() == null ? "unknown" : SettingValues.format(lag()))
                    + ", " + SettingValues.formatBytes(bytesBehind) + " behind";
        }
    }
}
