/**
 * HikariCP integration, runbook section 4 "Connection pool exhausted": {@link io.ampora.dbguard.hikari.GuardedPool}
 * wraps a {@code HikariDataSource}, tracks every lease, reports leaks with their borrow site and session
 * state, turns borrow timeouts into {@link io.ampora.dbguard.hikari.PoolExhaustedException}s that name the
 * cause, and offers the {@code pool-saturation} and {@code pool-budget} checks.
 */
package io.ampora.dbguard.hikari;
