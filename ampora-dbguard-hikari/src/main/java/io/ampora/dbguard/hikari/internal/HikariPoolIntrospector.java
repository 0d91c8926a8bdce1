package io.ampora.dbguard.hikari.internal;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.ampora.dbguard.check.NoFreePoolConnectionException;
import io.ampora.dbguard.hikari.GuardedPool;
import io.ampora.dbguard.internal.PoolIntrospector;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Reads a HikariCP pool (plain, or inside a {@link GuardedPool}) when the guard got no connection from it: every
 * connection borrowed and none idle, with no room to open another, is exhaustion; anything else (a free
 * connection, or room the pool could not fill because the server does not answer) is left to the network and
 * server diagnosis.
 */
public final class HikariPoolIntrospector implements PoolIntrospector {

    @Override
    public Optional<NoFreePoolConnectionException> exhausted(DataSource dataSource, Throwable cause) {
        HikariDataSource hikari = dataSource instanceof GuardedPool guarded ? guarded.hikari()
                : dataSource instanceof HikariDataSource plain ? plain : null;
        if (hikari == null) {
            return Optional.empty();
        }
        HikariPoolMXBean pool = hikari.getHikariPoolMXBean();
        if (pool == null) {
            return Optional.empty(); // not started: it has no connection to hold
        }
        int total = pool.getTotalConnections();
        int idle = pool.getIdleConnections();
        int max = hikari.getMaximumPoolSize();
        if (idle > 0 || total < max) {
            return Optional.empty();
        }
        return Optional.of(new NoFreePoolConnectionException(hikari.getPoolName(), pool.getActiveConnections(), total,
                max, pool.getThreadsAwaitingConnection(), cause));
    }
}
