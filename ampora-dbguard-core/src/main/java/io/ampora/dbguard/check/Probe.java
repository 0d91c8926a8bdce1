package io.ampora.dbguard.check;

/**
 * The health probes an orchestrator (Kubernetes, a load balancer) asks, and that a check's result can
 * affect through {@link DatabaseCheck#probes()}.
 *
 * <p>Database checks affect {@link #READINESS} and {@link #STARTUP}, never {@link #LIVENESS}: a database
 * outage must take the instance out of the load balancer, not get it restarted in a loop (a restart
 * cannot fix the database, and a fleet restarting together makes the recovery slower).
 */
public enum Probe {
    /** "Is the process alive?" A DOWN answer gets it restarted. */
    LIVENESS,
    /** "Can it serve traffic now?" A DOWN answer takes it out of the load balancer until it is UP again. */
    READINESS,
    /** "Has it finished starting?" Asked until it is UP once; liveness and readiness are asked after. */
    STARTUP
}
