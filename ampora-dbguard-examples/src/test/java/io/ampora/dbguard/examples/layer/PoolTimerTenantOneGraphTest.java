package io.ampora.dbguard.examples.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.ProxyConnection;
import io.ampora.dbguard.hikari.GuardedPool;
import io.ampora.dbguard.internal.jdbc.LayeredConnection;
import io.ampora.dbguard.micrometer.QueryMetrics;
import io.ampora.dbguard.micrometer.QueryOperation;
import io.ampora.dbguard.rls.MissingTenantException;
import io.ampora.dbguard.rls.Tenant;
import io.ampora.dbguard.rls.TenantDataSource;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/**
 * The documented stack, HikariCP -> GuardedPool -> QueryMetrics -> TenantDataSource, is one object graph: the
 * application's connection is the pool's decorated connection with the timer and the tenant binding hooked in,
 * not three wrappers stacked, and each module still does its part on it.
 */
@WithPostgres
class PoolTimerTenantOneGraphTest {

    private static final String TENANT = "11111111-1111-1111-1111-111111111111";

    private static HikariDataSource hikari(TestDatabase db) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(db.jdbcUrl());
        c.setUsername(db.server().adminUser());
        if (db.server().adminPassword() != null && !db.server().adminPassword().isEmpty()) {
            c.setPassword(db.server().adminPassword());
        }
        c.setMaximumPoolSize(2);
        c.setMinimumIdle(0);
        c.setAutoCommit(false);
        c.setPoolName("one-graph");
        return new HikariDataSource(c);
    }

    @Test
    void poolTimerAndTenantShareOneDecoratedConnection(TestDatabase db) throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (GuardedPool pool = GuardedPool.wrap(hikari(db))) {
            DataSource app = TenantDataSource.wrap(QueryMetrics.of(registry).wrap(pool));
            String bound;
            try (Connection c = app.getConnection()) {
                LayeredConnection layer = c.unwrap(LayeredConnection.class);
                assertThat(layer).as("the connection is the layer's, not a wrapper around it").isSameAs(c);
                assertThat(layer.delegate()).as("one layer over HikariCP's proxy, no decorator inside it")
                        .isInstanceOf(ProxyConnection.class)
                        .isNotInstanceOf(LayeredConnection.class);
                assertThat(pool.leases()).as("the pool tracks this very connection").hasSize(1);

                try (Statement st = c.createStatement()) {
                    assertThat(st.getConnection()).isSameAs(c);
                    assertThat(c.getMetaData().getConnection()).isSameAs(c);
                    bound = Tenant.call(TENANT, () -> QueryOperation.call("read-tenant", () -> {
                        try (ResultSet rs = st.executeQuery("SELECT pg_catalog.current_setting('app.tenant_id', true)")) {
                            assertThat(rs.getStatement()).isSameAs(st);
                            rs.next();
                            return rs.getString(1);
                        }
                    }));
                    assertThatThrownBy(() -> st.executeQuery("SELECT 1")).isInstanceOf(MissingTenantException.class);
                }
                assertThat(c.unwrap(PGConnection.class).getBackendPID()).as("unwrap reaches the driver").isPositive();
                c.rollback();
            }

            assertThat(bound).as("the tenant hook bound the transaction").isEqualTo(TENANT);
            assertThat(registry.get(QueryMetrics.QUERY_TIMER).tag("operation", "read-tenant").timer().count())
                    .as("the timer saw the application's statement once (not the binding, not twice)").isEqualTo(1);
            assertThat(pool.leases()).as("closing the one connection ended the pool's lease").isEmpty();
            assertThat(pool.leakReports()).isEmpty();
        }
    }
}
