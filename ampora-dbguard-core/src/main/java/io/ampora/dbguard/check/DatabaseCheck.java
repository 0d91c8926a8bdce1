package io.ampora.dbguard.check;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * One diagnosis from the runbook, run against a live PostgreSQL: the SPI every check implements.
 *
 * <p>A check is a small class with a stable {@link #id()} (tools, configuration and the doctor's
 * {@code --check} and {@code --set} refer to it), the {@link #runbook()} section it automates and a
 * {@link #run(CheckContext)} that reads, never writes. Checks on the classpath are found with
 * {@link java.util.ServiceLoader} (list them in {@code META-INF/services/io.ampora.dbguard.check.DatabaseCheck})
 * and can also be added, removed or configured explicitly through {@code DbGuard.builder()}.
 *
 * <p>The runner hands each check its own read-only session with {@code statement_timeout} and
 * {@code lock_timeout} set locally, cuts it off at its time budget and turns any exception into an
 * {@link CheckStatus#UNKNOWN} result, so a check may simply let {@link java.sql.SQLException}s escape.
 * Keep SQL in a resource named after the id next to the class ({@link Sql#load(Class, String)}).
 */
public interface DatabaseCheck {

    /**
     * The stable identifier, kebab-case, e.g. {@code blocking-locks}. Never renamed once released.
     *
     * @return the id
     */
    String id();

    /**
     * The runbook section this check automates.
     *
     * @return the section
     */
    RunbookSection runbook();

    /**
     * One sentence saying what the check detects, for usage messages and the README.
     *
     * @return the description
     */
    String description();

    /**
     * The thresholds and options a user may override by name.
     *
     * @return the settings with their defaults; empty by default
     */
    default List<CheckSetting<?>> settings() {
        return List.of();
    }

    /**
     * The pairs of {@link #settings()} that must stay in order (a warn threshold and its fail threshold),
     * checked when the guard is built so that a configuration making WARN unreachable or inverting the
     * two is refused up front. When both values of a pair are set and in the wrong order the build
     * fails naming the check, both settings and values; when only one is set and it crosses the other's
     * default, the other follows it (see {@link SettingOrder}).
     *
     * @return the ordered pairs; empty by default
     */
    default List<SettingOrder<?>> settingOrders() {
        return List.of();
    }

    /**
     * Whether {@code verifyOrFail()} runs this check at startup. Checks that only matter to a running
     * service (slow queries, table bloat) return {@code false}.
     *
     * @return {@code true} by default
     */
    default boolean startupCritical() {
        return true;
    }

    /**
     * The server whose session this check gets.
     *
     * @return {@link Target#PRIMARY} by default
     */
    default Target target() {
        return Target.PRIMARY;
    }

    /**
     * Whether the check needs a database session. Checks that diagnose the connection itself or read
     * application-side state (a pool, metrics) return {@code false} and run even when the database is
     * unreachable.
     *
     * @return {@code true} by default
     */
    default boolean requiresConnection() {
        return true;
    }

    /**
     * The health probes this check's result affects. A database check affects readiness and startup,
     * never liveness: when the database is down the instance must leave the load balancer, not be
     * restarted in a loop. A check that only informs (a report for people) returns an empty set.
     *
     * <p>Readiness asks whether this instance can serve. A condition that every instance of the application
     * sees at the same moment (a table's bloat, a long transaction, a full disk, a lagging replica: the
     * runbook's {@link CheckScope#DATABASE database-wide} checks) would take them all out of the load balancer
     * at once and turn a degradation into an outage, so the shipped database-wide checks affect no readiness:
     * {@link Probe#STARTUP} when they are {@link #startupCritical()}, nothing otherwise; they are still
     * reported, logged and counted. The one exception is {@code rls-posture}: serving would show one tenant's
     * rows to another. ({@code connectivity} is per instance and keeps both.) The application decides per check
     * with {@link io.ampora.dbguard.monitor.MonitorConfig.Builder#probes(String, Probe...)}.
     *
     * @return {@link Probe#READINESS} and {@link Probe#STARTUP} by default
     */
    default Set<Probe> probes() {
        return EnumSet.of(Probe.READINESS, Probe.STARTUP);
    }

    /**
     * Whether the check's answer is this instance's or the database's: a fleet of monitors shares one run
     * per interval of a {@link CheckScope#DATABASE} check and runs {@link CheckScope#INSTANCE} checks on
     * every instance. The default follows {@link #requiresConnection()}: a check that needs a database
     * session looks at the database ({@code DATABASE}); one that does not reads application-side state
     * (a pool, metrics) or the connection itself ({@code INSTANCE}). Override it when the default is wrong.
     *
     * @return {@link CheckScope#DATABASE} when {@link #requiresConnection()}, else {@link CheckScope#INSTANCE}
     */
    default CheckScope scope() {
        return requiresConnection() ? CheckScope.DATABASE : CheckScope.INSTANCE;
    }

    /**
     * How expensive one run is for the database; the monitor runs a {@link CheckScope#DATABASE} check every
     * {@link CheckCost#intervalFactor()} default intervals unless configured otherwise.
     *
     * @return {@link CheckCost#NORMAL} by default
     */
    default CheckCost cost() {
        return CheckCost.NORMAL;
    }

    /**
     * Runs the check. It may throw: the runner reports any exception as {@link CheckStatus#UNKNOWN}
     * with the reason.
     *
     * @param context the session, server facts, settings and clock for this run
     * @return the result
     * @throws Exception when the check cannot complete
     */
    CheckResult run(CheckContext context) throws Exception;
}
