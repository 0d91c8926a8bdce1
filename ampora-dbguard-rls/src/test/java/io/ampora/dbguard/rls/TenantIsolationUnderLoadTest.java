package io.ampora.dbguard.rls;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.postgresql.core.BaseConnection;

/**
 * 16 threads x 2,000 transactions through HikariCP (8 connections, so every physical connection serves
 * many tenants in turn), each transaction for a random tenant: insert, read recent rows of every tenant,
 * update a row of another tenant, and now and then try to insert a row for another tenant. Isolation
 * holds when no read returns, and no write touches, another tenant's row; and after each commit the same
 * physical connection carries no tenant.
 */
@WithPostgres
class TenantIsolationUnderLoadTest {

    private static final int THREADS = 16;
    private static final int TRANSACTIONS_PER_THREAD = 2_000;
    private static final int TENANTS = 12;

    @Test
    void noTenantSeesOrWritesAnotherTenantsRowsAndNoBindingOutlivesItsTransaction(TestDatabase db) throws Exception {
        RlsSchema.create(db);
        List<String> tenants = new ArrayList<>();
        for (int i = 0; i < TENANTS; i++) {
            tenants.add(UUID.randomUUID().toString());
        }
        Map<Long, String> owners = new ConcurrentHashMap<>();
        Map<String, LongAdder> inserted = new ConcurrentHashMap<>();
        AtomicLong maxId = new AtomicLong();
        LongAdder foreignRowsSeen = new LongAdder();
        LongAdder foreignRowsUpdated = new LongAdder();
        LongAdder foreignInsertsRefused = new LongAdder();
        LongAdder foreignInsertsAttempted = new LongAdder();
        LongAdder leftovers = new LongAdder();
        LongAdder transactions = new LongAdder();

        HikariConfig config = new HikariConfig();
        config.setDataSource(RlsSchema.app(db));
        config.setAutoCommit(false);
        config.setMaximumPoolSize(8);
        config.setPoolName("rls-load");
        try (HikariDataSource pool = new HikariDataSource(config)) {
            TenantDataSource dataSource = TenantDataSource.wrap(pool);
            ExecutorService executor = Executors.newFixedThreadPool(THREADS);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                futures.add(executor.submit(() -> {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    for (int i = 0; i < TRANSACTIONS_PER_THREAD; i++) {
                        String tenant = tenants.get(random.nextInt(TENANTS));
                        boolean tryForeignInsert = random.nextInt(50) == 0;
                        Tenant.call(tenant, () -> {
                            try (Connection c = dataSource.getConnection()) {
                                long id = insert(c, tenant, owners, maxId);
                                inserted.computeIfAbsent(tenant, k -> new LongAdder()).increment();
                                foreignRowsSeen.add(readRecent(c, tenant, maxId.get() - 300));
                                foreignRowsUpdated.add(updateForeign(c, tenant, owners, id, random));
                                if (tryForeignInsert) {
                                    foreignInsertsAttempted.increment();
                                    if (insertForeignRefused(c, tenants.get((tenants.indexOf(tenant) + 1) % TENANTS))) {
                                        foreignInsertsRefused.increment();
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

        assertThat(transactions.sum()).isEqualTo((long) THREADS * TRANSACTIONS_PER_THREAD);
        assertThat(foreignRowsSeen.sum()).isZero();
        assertThat(foreignRowsUpdated.sum()).isZero();
        assertThat(foreignInsertsAttempted.sum()).isPositive();
        assertThat(foreignInsertsRefused.sum()).isEqualTo(foreignInsertsAttempted.sum());
        assertThat(leftovers.sum()).isZero();
        for (String tenant : tenants) {
            long expected = inserted.getOrDefault(tenant, new LongAdder()).sum();
            assertThat(db.queryString("SELECT count(*) FROM items WHERE tenant_id = '" + tenant + "'"))
                    .as("rows of tenant %s", tenant).isEqualTo(String.valueOf(expected));
        }
        assertThat(db.queryString("SELECT count(*) FROM items WHERE payload LIKE 'written-by:%'"
                + " AND payload <> 'written-by:' || tenant_id")).isEqualTo("0");
    }

    private static long insert(Connection c, String tenant, Map<Long, String> owners, AtomicLong maxId)
            throws SQLException {
        try (PreparedStatement st = c.prepareStatement(
                "INSERT INTO items (payload) VALUES (?) RETURNING id, tenant_id")) {
            st.setString(1, "written-by:" + tenant);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                long id = rs.getLong(1);
                assertThat(rs.getString(2)).isEqualTo(tenant);
                owners.put(id, tenant);
                maxId.accumulateAndGet(id, Math::max);
                return id;
            }
        }
    }

    private static long readRecent(Connection c, String tenant, long fromId) throws SQLException {
        long foreign = 0;
        try (PreparedStatement st = c.prepareStatement("SELECT tenant_id, payload FROM items WHERE id > ?")) {
            st.setLong(1, fromId);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    if (!tenant.equals(rs.getString(1)) || !rs.getString(2).endsWith(tenant)) {
                        foreign++;
                    }
                }
            }
        }
        return foreign;
    }

    private static long updateForeign(Connection c, String tenant, Map<Long, String> owners, long ownId,
                                      ThreadLocalRandom random) throws SQLException {
        long target = 1 + random.nextLong(Math.max(1, ownId));
        String owner = owners.get(target);
        if (owner == null || owner.equals(tenant)) {
            return 0;
        }
        try (PreparedStatement st = c.prepareStatement("UPDATE items SET payload = 'stolen' WHERE id = ?")) {
            st.setLong(1, target);
            return st.executeUpdate();
        }
    }

    private static boolean insertForeignRefused(Connection c, String otherTenant) throws SQLException {
        Savepoint savepoint = c.setSavepoint();
        try (PreparedStatement st = c.prepareStatement("INSERT INTO items (tenant_id, payload) VALUES (?::uuid, 'x')")) {
            st.setString(1, otherTenant);
            st.executeUpdate();
            return false;
        } catch (SQLException e) {
            c.rollback(savepoint);
            return "42501".equals(e.getSQLState());
        }
    }

    /** Asks the physical connection itself, outside the wrapper, what tenant it carries now. */
    private static boolean tenantLeftOn(BaseConnection physical) throws SQLException {
        try (Statement st = physical.createStatement();
             ResultSet rs = st.executeQuery("SELECT current_setting('app.tenant_id', true)")) {
            rs.next();
            String value = rs.getString(1);
            return value != null && !value.isEmpty();
        } finally {
            physical.rollback();
        }
    }
}
