package io.ampora.dbguard.rls;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.testing.PgBouncer;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.core.BaseConnection;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The binding through PgBouncer in transaction mode: 8 client connections share 2 server connections,
 * so consecutive transactions of one client land on different server sessions and each server session
 * serves many clients and tenants. Transaction-local binding must still isolate every transaction.
 */
@WithPostgres
class PgBouncerTransactionModeTest {

    private static final int CLIENTS = 8;
    private static final int TRANSACTIONS_PER_CLIENT = 300;

    @BeforeAll
    static void schema(TestDatabase db) throws SQLException {
        RlsSchema.create(db);
    }

    @Test
    void bindingIsolatesTenantsAndLeavesNothingBehindThroughPgBouncerInTransactionMode(TestDatabase db)
            throws Exception {
        PgBouncer.assumeInstalled();
        List<String> tenants = List.of(UUID.randomUUID().toString(), UUID.randomUUID().toString(),
                UUID.randomUUID().toString(), UUID.randomUUID().toString());
        Set<Integer> serverPids = ConcurrentHashMap.newKeySet();
        LongAdder foreignRowsSeen = new LongAdder();
        LongAdder leftovers = new LongAdder();
        LongAdder wrongBinding = new LongAdder();
        LongAdder transactions = new LongAdder();

        try (PgBouncer bouncer = PgBouncer.start(db.server().port(), db.name(), RlsSchema.appRole(db), 2)) {
            PGSimpleDataSource viaBouncer = new PGSimpleDataSource();
            viaBouncer.setServerNames(new String[] {"127.0.0.1"});
            viaBouncer.setPortNumbers(new int[] {bouncer.port()});
            viaBouncer.setDatabaseName(db.name());
            viaBouncer.setUser(RlsSchema.appRole(db));
            viaBouncer.setPrepareThreshold(0); // pgbouncer 1.18 cannot route server-side prepared statements
            HikariConfig config = new HikariConfig();
            config.setDataSource(viaBouncer);
            config.setAutoCommit(false);
            config.setMaximumPoolSize(CLIENTS);
            config.setMinimumIdle(CLIENTS);
            config.setPoolName("rls-pgbouncer");
            try (HikariDataSource pool = new HikariDataSource(config)) {
                TenantDataSource dataSource = TenantDataSource.wrap(pool);
                ExecutorService executor = Executors.newFixedThreadPool(CLIENTS);
                List<Future<?>> futures = new ArrayList<>();
                for (int client = 0; client < CLIENTS; client++) {
                    futures.add(executor.submit(() -> {
                        for (int i = 0; i < TRANSACTIONS_PER_CLIENT; i++) {
                            String tenant = tenants.get(ThreadLocalRandom.current().nextInt(tenants.size()));
                            Tenant.call(tenant, () -> {
                                try (Connection c = dataSource.getConnection()) {
                                    try (PreparedStatement st = c.prepareStatement(
                                            "INSERT INTO items (payload) VALUES (?) RETURNING pg_backend_pid(),"
                                                    + " current_setting('app.tenant_id')")) {
                                        st.setString(1, tenant);
                                        try (ResultSet rs = st.executeQuery()) {
                                            rs.next();
                                            serverPids.add(rs.getInt(1));
                                            if (!tenant.equals(rs.getString(2))) {
                                                wrongBinding.increment();
                                            }
                                        }
                                    }
                                    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                                            "SELECT tenant_id FROM items ORDER BY id DESC LIMIT 50")) {
                                        while (rs.next()) {
                                            if (!tenant.equals(rs.getString(1))) {
                                                foreignRowsSeen.increment();
                                            }
                                        }
                                    }
                                    c.commit();
                                    if (tenantLeftOn(c.unwrap(BaseConnection.class))) {
                                        leftovers.increment();
                                    }
                                    transactions.increment();
                                }
                                return null;
                            });
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get();
                }
                executor.shutdown();
            }
        }

        assertThat(transactions.sum()).isEqualTo((long) CLIENTS * TRANSACTIONS_PER_CLIENT);
        assertThat(serverPids).as("server sessions behind %d clients", CLIENTS).hasSizeBetween(1, 2);
        assertThat(wrongBinding.sum()).isZero();
        assertThat(foreignRowsSeen.sum()).isZero();
        assertThat(leftovers.sum()).isZero();
        assertThat(db.queryString("SELECT count(*) FROM items WHERE tenant_id::text <> payload")).isEqualTo("0");
        assertThat(db.queryString("SELECT count(*) FROM items")).isEqualTo(String.valueOf(transactions.sum()));
    }

    @Test
    void sessionLevelSettingLeaksToAnotherClientThroughPgBouncerWhichIsWhyBindingIsTransactionLocal(TestDatabase db)
            throws Exception {
        PgBouncer.assumeInstalled();
        try (PgBouncer bouncer = PgBouncer.start(db.server().port(), db.name(), RlsSchema.appRole(db), 1)) {
            PGSimpleDataSource viaBouncer = new PGSimpleDataSource();
            viaBouncer.setServerNames(new String[] {"127.0.0.1"});
            viaBouncer.setPortNumbers(new int[] {bouncer.port()});
            viaBouncer.setDatabaseName(db.name());
            viaBouncer.setUser(RlsSchema.appRole(db));
            viaBouncer.setPrepareThreshold(0);
            try (Connection first = viaBouncer.getConnection(); Connection second = viaBouncer.getConnection();
                 Statement one = first.createStatement(); Statement two = second.createStatement()) {
                one.execute("SELECT set_config('app.tenant_id', '11111111-1111-1111-1111-111111111111', false)");
                try (ResultSet rs = two.executeQuery("SELECT current_setting('app.tenant_id', true)")) {
                    rs.next();
                    assertThat(rs.getString(1)).as("another client's session setting")
                            .isEqualTo("11111111-1111-1111-1111-111111111111");
                }
            }
        }
    }

    /** Asks, outside the wrapper, whatever server session pgbouncer hands out next for this client. */
    private static boolean tenantLeftOn(BaseConnection client) throws SQLException {
        try (Statement st = client.createStatement();
             ResultSet rs = st.executeQuery("SELECT current_setting('app.tenant_id', true)")) {
            rs.next();
            String value = rs.getString(1);
            return value != null && !value.isEmpty();
        } finally {
            client.rollback();
        }
    }
}
