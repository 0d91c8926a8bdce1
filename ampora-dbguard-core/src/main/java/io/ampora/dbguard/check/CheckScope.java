package io.ampora.dbguard.check;

/**
 * Whose state a check's answer describes, declared by {@link DatabaseCheck#scope()}: it decides whether a
 * fleet of instances monitoring one database may share one run of the check.
 *
 * <p>{@link #INSTANCE} checks (connectivity, tls, the pool checks, tenant-context, query-latency) answer
 * for the instance that runs them: every instance runs them itself. {@link #DATABASE} checks (locks,
 * transactions, disk, catalog, bloat, replication) answer for the database: every instance of a fleet
 * would get the same answer, so with {@code MonitorConfig.builder().fleet(name)} one instance runs them
 * per interval and the others hear the result.
 */
public enum CheckScope {
    /** The answer differs per instance (its network path, its pool, its own metrics): run everywhere. */
    INSTANCE,
    /** The answer is the database's, the same from every instance: one run per interval serves a fleet. */
    DATABASE
}
