package io.ampora.dbguard.hikari;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.Test;

@WithPostgres
class GuardedPoolMetricsTest {

    @Test
    void publishesBesideHikariMetricsInHikariRegistry(TestDatabase db) throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        HikariDataSource hikari = Pools.hikari(db, 2, 1000);
        hikari.setMetricRegistry(registry);
        try (GuardedPool pool = GuardedPool.wrap(hikari, PoolGuardConfig.custom().leakThreshold(Duration.ofMillis(200)).build())) {
            String name = hikari.getPoolName();
            try (Connection c = pool.getConnection()) {
                assertThat(Pools.await(Duration.ofSeconds(5), () -> registry.get("ampora.dbguard.pool.leaks")
                        .tag("pool", name).tag("kind", "held_too_long").counter().count() == 1)).isTrue();
                assertThat(registry.get("ampora.dbguard.pool.lease.oldest").tag("pool", name).gauge().value())
                        .isGreaterThanOrEqualTo(0.2);
            }
            assertThat(registry.get("hikaricp.connections.active").tag("pool", name).gauge()).isNotNull();
            assertThat(registry.get("ampora.dbguard.pool.hold").tag("pool", name).timer().count()).isEqualTo(1);
            assertThat(registry.get("ampora.dbguard.pool.leaks").tag("kind", "returned").counter().count()).isEqualTo(1);
        }
    }

    @Test
    void unnamedPoolWithAMeterRegistryIsNamedBeforeItsMetersAreTagged(TestDatabase db) throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        // the no-argument constructor: HikariCP names the pool only when it starts, at the first borrow
        HikariDataSource hikari = new HikariDataSource();
        hikari.setJdbcUrl(db.jdbcUrl());
        hikari.setUsername(db.server().adminUser());
        hikari.setPassword(db.server().adminPassword());
        hikari.setMaximumPoolSize(1);
        assertThat(hikari.getPoolName()).isNull();
        try (GuardedPool pool = GuardedPool.wrap(hikari, PoolGuardConfig.custom().meterRegistry(registry).build())) {
            try (Connection c = pool.getConnection()) {
                assertThat(c.isValid(1)).isTrue();
            }
            String name = hikari.getPoolName();
            assertThat(name).startsWith("GuardedPool-");
            assertThat(registry.get("ampora.dbguard.pool.hold").tag("pool", name).timer().count()).isEqualTo(1);
        }
    }
}
