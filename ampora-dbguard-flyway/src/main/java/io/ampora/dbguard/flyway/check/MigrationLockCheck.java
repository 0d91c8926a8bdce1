package io.ampora.dbguard.flyway.check;

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
import io.ampora.dbguard.flyway.FlywayGuard;
import io.ampora.dbguard.flyway.internal.FlywayReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Runbook 2: "pg_advisory_lock(...) blocked". Finds the session holding Flyway's advisory lock for the
 * history table (key {@code 0x466C79776179 + "\"schema\".\"table\"".hashCode()}, 77433833903597 for
 * {@code "public"."flyway_schema_history"}): pid, application, user, since when and its state. A holder
 * that runs a statement is a migration in progress (WARN: startup will wait for it); a holder idle for
 * longer than {@code failAfter} (10 minutes), with no session of the same client still inside a
 * transaction, is a crashed or stuck migrator (FAIL), and the remediation
 * says how to release it.
 */
public final class MigrationLockCheck implements DatabaseCheck {

    /** How long the lock holder may sit idle before it counts as a stuck migrator. */
    public static final CheckSetting<Duration> FAIL_AFTER = CheckSetting.duration("failAfter", Duration.ofMinutes(10),
            "how long the holder of Flyway's lock may sit idle before it is reported as a stuck migrator");

    private final FlywayGuard config;

    /**
     * @param config the history table whose lock to look for
     */
    public MigrationLockCheck(FlywayGuard config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    @Override
    public String id() {
        return "migration-lock";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.CANNOT_MIGRATE;
    }

    @Override
    public String description() {
        return "Who holds Flyway's advisory lock, for how long, and whether it is a stuck migrator.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(FAIL_AFTER);
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        Connection c = context.connection();
        String schema = FlywayReader.historySchema(config, c);
        long key = FlywayReader.lockKey(schema, config.table());
        Duration failAfter = context.setting(FAIL_AFTER);
        CheckResult.Builder result = CheckResult.builder(this);
        String table = schema + "." + config.table();
        int holders = 0;
        try (PreparedStatement ps = c.prepareStatement(Sql.load(MigrationLockCheck.class, id()))) {
            ps.setLong(1, key >>> 32);
            ps.setLong(2, key & 0xFFFF_FFFFL);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rs.getBoolean("is_self")) {
                        continue;
                    }
                    holders++;
                    result.finding(holder(rs, key, table, failAfter, result));
                }
            }
        }
        if (holders == 0) {
            return result.summary("Nobody holds Flyway's lock for " + table + " (advisory lock " + key + ").").build();
        }
        if (result.status() == CheckStatus.FAIL) {
            return result.summary("A stuck session holds Flyway's lock for " + table + ": migrations cannot start.")
                    .remediation("If that session is not a migration still at work, release the lock by ending it:"
                            + " SELECT pg_terminate_backend(pid) with the pid above (a session-level advisory lock lives"
                            + " until its session ends; a crashed pod's connection is only dropped when TCP keepalives"
                            + " notice). No restart of PostgreSQL is needed.")
                    .build();
        }
        return result.summary("Flyway's lock for " + table + " is held: another instance is migrating; this one"
                        + " will wait for it.")
                .remediation("Wait for the other migration to finish; if it does not, look at its query above. Run"
                        + " migrations from one job, not from every instance, to avoid the wait.")
                .build();
    }

    private static Finding holder(ResultSet rs, long key, String table, Duration failAfter, CheckResult.Builder result)
            throws Exception {
        int pid = rs.getInt("pid");
        String state = rs.getString("state");
        String app = rs.getString("application_name");
        String user = rs.getString("user_name");
        Timestamp since = rs.getTimestamp("xact_start") != null ? rs.getTimestamp("xact_start")
                : rs.getTimestamp("backend_start");
        double idleSeconds = rs.getDouble("state_seconds");
        Integer worker = (Integer) rs.getObject("worker_pid");
        boolean idle = state != null && state.startsWith("idle") && worker == null;
        boolean stuck = idle && idleSeconds >= failAfter.toSeconds();
        String who = "pid " + pid + " (" + (app == null || app.isEmpty() ? "no application_name" : app)
                + (user == null ? "" : ", user " + user) + ")";
        String message;
        if (state == null) {
            result.atLeast(CheckStatus.WARN);
            message = who + " holds Flyway's lock for " + table + "; its state is hidden from this role"
                    + " (GRANT pg_read_all_stats to see it).";
        } else if (stuck) {
            result.atLeast(CheckStatus.FAIL);
            message = who + " has held Flyway's lock for " + table + " since " + since + " and has been " + state
                    + " for " + Math.round(idleSeconds) + "s: a crashed or stuck migrator. Release it with"
                    + " SELECT pg_terminate_backend(" + pid + ").";
        } else if (worker != null) {
            result.atLeast(CheckStatus.WARN);
            message = who + " holds Flyway's lock for " + table + " since " + since + " while pid " + worker + " of"
                    + " the same client runs the migration (" + rs.getString("worker_state") + "): a migration in progress.";
        } else {
            result.atLeast(CheckStatus.WARN);
            message = who + " holds Flyway's lock for " + table + " since " + since + " (" + state + " for "
                    + Math.round(idleSeconds) + "s): a migration in progress.";
        }
        return Finding.builder(message)
                .detail("pid", pid)
                .detail("applicationName", app)
                .detail("user", user)
                .detail("clientAddr", rs.getString("client_addr"))
                .detail("state", state)
                .detail("since", since == null ? null : since.toInstant().toString())
                .detail("stateSeconds", Math.round(idleSeconds))
                .detail("query", rs.getString("query"))
                .detail("migrationPid", worker)
                .detail("migrationQuery", rs.getString("worker_query"))
                .detail("lockKey", key)
                .detail("terminate", "SELECT pg_terminate_backend(" + pid + ")")
                .build();
    }

    /** Who holds Flyway's lock is the database's answer, the same from every instance; one pg_locks read. */
    @Override
    public CheckScope scope() {
        return CheckScope.DATABASE;
    }

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
}
