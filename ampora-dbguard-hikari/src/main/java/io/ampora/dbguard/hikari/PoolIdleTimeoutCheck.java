package io.ampora.dbguard.hikari;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.internal.SettingValues;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Set;

/**
 * Runbook 4, connections the server ends under the pool: from PostgreSQL 14 the server closes a session that stays
 * idle longer than {@code idle_session_timeout}, often set for a role or a database to reap forgotten psql sessions.
 * A pool keeps idle connections open by design: HikariCP pings one only every {@code keepaliveTime}, and without
 * keepalive an idle connection can sit quiet until {@code idleTimeout} (beyond {@code minimumIdle}) or
 * {@code maxLifetime}. Past the server's timeout the session is gone; HikariCP finds it at the next borrow ("Failed to
 * validate connection ... This connection has been closed. Possibly consider using a shorter maxLifetime value."),
 * discards it and opens another: a reconnect on the borrow path, in bursts after quiet periods. WARN with the two
 * fixes: a {@code keepaliveTime} below the timeout (a keepalive ping resets the server's idle clock), or no
 * {@code idle_session_timeout} for the application's role, which PostgreSQL's own documentation advises for pooled
 * connections.
 */
public final class PoolIdleTimeoutCheck implements DatabaseCheck {

    /** HikariCP refuses a keepaliveTime below this. */
    static final Duration MIN_KEEPALIVE = Duration.ofSeconds(30);
    /** Stands for HikariCP's 0: never. */
    private static final Duration FOREVER = Duration.ofSeconds(Long.MAX_VALUE);

    private final GuardedPool pool;

    /** @param pool the pool whose idle connections are weighed against the server's idle timeout */
    public PoolIdleTimeoutCheck(GuardedPool pool) {
        this.pool = pool;
    }

    @Override
    public String id() {
        return "pool-idle-timeout";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.POOL_EXHAUSTED;
    }

    @Override
    public String description() {
        return "Idle pooled connections against the server's idle_session_timeout: whether the server ends them"
                + " before HikariCP's keepalive, idleTimeout or maxLifetime does.";
    }

    @Override
    public boolean startupCritical() {
        return false;
    }

    /**
     * {@link CheckScope#INSTANCE}: it judges this instance's pool configuration.
     *
     * @return {@link CheckScope#INSTANCE}
     */
    @Override
    public CheckScope scope() {
        return CheckScope.INSTANCE;
    }

    /**
     * {@link CheckCost#CHEAP}: one row of {@code pg_settings}.
     *
     * @return {@link CheckCost#CHEAP}
     */
    @Override
    public CheckCost cost() {
        return CheckCost.CHEAP;
    }

    /**
     * None: churn on the borrow path is a cost to report, not a reason to leave the load balancer.
     *
     * @return no probe
     */
    @Override
    public Set<Probe> probes() {
        return Set.of();
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        long timeoutMs;
        String source;
        String role;
        try (Statement st = context.connection().createStatement();
             ResultSet rs = st.executeQuery(Sql.load(PoolIdleTimeoutCheck.class, id()))) {
            if (!rs.next()) {
                return CheckResult.skip(this, "This server has no idle_session_timeout (PostgreSQL 14 added it): it"
                        + " does not end idle sessions.");
            }
            timeoutMs = rs.getLong("timeout_ms");
            source = rs.getString("source");
            role = rs.getString("role_ident");
        }
        String poolName = pool.hikari().getPoolName();
        if (timeoutMs <= 0) {
            return CheckResult.pass(this, "Pool " + poolName + ": the server does not end idle sessions"
                    + " (idle_session_timeout is 0).");
        }
        Duration timeout = Duration.ofMillis(timeoutMs);
        Duration quiet = longestQuiet();
        String how = quietCause();
        if (quiet.compareTo(timeout) < 0) {
            return CheckResult.pass(this, "Pool " + poolName + ": an idle connection is quiet for at most "
                    + SettingValues.format(quiet) + " (" + how + "), under the server's idle_session_timeout of "
                    + SettingValues.format(timeout) + ".");
        }
        String quietText = quiet.equals(FOREVER) ? "indefinitely" : "up to " + SettingValues.format(quiet);
        Finding finding = Finding.builder("The server ends sessions idle for " + SettingValues.format(timeout)
                        + " (idle_session_timeout, from " + source + "), and pool " + poolName + " keeps idle connections"
                        + " quiet " + quietText + " (" + how + "): HikariCP finds them closed at the next borrow (\"Failed to"
                        + " validate connection ... This connection has been closed\"), discards them and reconnects.")
                .detail("idleSessionTimeout", SettingValues.format(timeout))
                .detail("source", source)
                .detail("keepaliveTime", SettingValues.format(Duration.ofMillis(pool.hikari().getKeepaliveTime())))
                .detail("idleTimeout", SettingValues.format(Duration.ofMillis(pool.hikari().getIdleTimeout())))
                .detail("maxLifetime", SettingValues.format(Duration.ofMillis(pool.hikari().getMaxLifetime())))
                .detail("minimumIdle", pool.hikari().getMinimumIdle())
                .build();
        Duration keepalive = timeout.dividedBy(2);
        String keepaliveFix = timeout.compareTo(MIN_KEEPALIVE.multipliedBy(2)) >= 0
                ? "Set HikariCP's keepaliveTime below it, e.g. " + SettingValues.format(keepalive)
                + " (spring.datasource.hikari.keepalive-time=" + keepalive.toMillis() + "), or end the timeout for the"
                + " application's role"
                : "HikariCP's keepaliveTime cannot go below " + SettingValues.format(MIN_KEEPALIVE) + ", so end the"
                + " timeout for the application's role";
        return CheckResult.builder(this).status(CheckStatus.WARN)
                .summary("Pool " + poolName + ": the server ends idle sessions after " + SettingValues.format(timeout)
                        + ", before the pool's idle connections are pinged or retired (" + how + ").")
                .finding(finding)
                .remediation(keepaliveFix + ": ALTER ROLE " + role + " SET idle_session_timeout = 0; (PostgreSQL's"
                        + " documentation advises against the timeout for pooled connections; reap forgotten sessions"
                        + " of people with a role of their own).")
                .build();
    }

    /** How long an idle connection of this pool can stay without traffic. */
    private Duration longestQuiet() {
        long keepalive = pool.hikari().getKeepaliveTime();
        if (keepalive > 0) {
            return Duration.ofMillis(keepalive);
        }
        long maxLifetime = pool.hikari().getMaxLifetime();
        long idleTimeout = pool.hikari().getIdleTimeout();
        // connections up to minimumIdle are never retired for being idle, only at maxLifetime
        long bound = pool.hikari().getMinimumIdle() > 0 || idleTimeout <= 0 ? maxLifetime
                : maxLifetime <= 0 ? idleTimeout : Math.min(idleTimeout, maxLifetime);
        return bound <= 0 ? FOREVER : Duration.ofMillis(bound);
    }

    private String quietCause() {
        long keepalive = pool.hikari().getKeepaliveTime();
        if (keepalive > 0) {
            return "keepaliveTime " + SettingValues.format(Duration.ofMillis(keepalive));
        }
        return "no keepaliveTime; idleTimeout " + SettingValues.format(Duration.ofMillis(pool.hikari().getIdleTimeout()))
                + ", maxLifetime " + SettingValues.format(Duration.ofMillis(pool.hikari().getMaxLifetime()))
                + ", minimumIdle " + pool.hikari().getMinimumIdle();
    }
}
