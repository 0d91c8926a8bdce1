package io.ampora.dbguard.hikari;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.pool.HikariProxyConnection;
import com.zaxxer.hikari.pool.HikariProxyDatabaseMetaData;
import com.zaxxer.hikari.pool.HikariProxyPreparedStatement;
import com.zaxxer.hikari.pool.HikariProxyResultSet;
import com.zaxxer.hikari.pool.HikariProxyStatement;
import io.ampora.dbguard.internal.jdbc.LayeredResultSet;
import io.ampora.dbguard.internal.jdbc.LayeredStatement;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGStatement;
import org.postgresql.jdbc.PgDatabaseMetaData;

import org.postgresql.jdbc.PgResultSet;
import org.postgresql.jdbc.PgStatement;

/**
 * Statements, result sets and database metadata handed out by a {@link GuardedPool} keep the connection
 * wrapper reachable and lead back to it; unclosed connections are reclaimed only when asked.
 */
@WithPostgres
class GuardedStatementTest {

    private final List<LeakReport> events = new CopyOnWriteArrayList<>();

    private PoolGuardConfig.Builder config() {
        return PoolGuardConfig.custom().leakThreshold(Duration.ofMinutes(5)).sampleEvery(1).listener(Pools.leaksInto(events));
    }

    private List<LeakReport> events(LeakReport.Kind kind) {
        return events.stream().filter(e -> e.kind() == kind).toList();
    }

    /** Runs the collector until {@code count} unclosed reports arrived, at most 10 s. */
    private void gcUntilUnclosed(int count) throws InterruptedException {
        for (int i = 0; i < 100 && events(LeakReport.Kind.UNCLOSED).size() < count; i++) {
            System.gc();
            Thread.sleep(100);
        }
    }

    @Test
    void statementKeptWhileTheConnectionWrapperIsDroppedIsNotALeak(TestDatabase db) throws Exception {
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 4, 1000), config().build())) {
            Statement statement = statementOnly(pool);
            ResultSet rows = resultSetOnly(pool);
            DatabaseMetaData metaData = metaDataOnly(pool);
            // the control: a connection really dropped; once it is reported, the collector has run and
            // enqueued every unreachable wrapper of the same age
            forget(pool);
            gcUntilUnclosed(1);
            for (int i = 0; i < 5; i++) {
                System.gc();
                Thread.sleep(100);
            }
            assertThat(events(LeakReport.Kind.UNCLOSED)).singleElement()
                    .satisfies(r -> assertThat(r.borrowSite().get(0).getMethodName()).isEqualTo("forget"));
            assertThat(pool.leases()).hasSize(3);

            try (ResultSet rs = statement.executeQuery("SELECT 41 + 1")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(42);
            }
            assertThat(rows.next()).isTrue();
            assertThat(rows.getInt(1)).isEqualTo(2);
            try (ResultSet tables = metaData.getTables(null, "pg_catalog", "pg_class", null)) {
                assertThat(tables.next()).isTrue();
            }

            statement.getConnection().close();
            rows.getStatement().getConnection().close();
            metaData.getConnection().close();
            assertThat(statement.isClosed()).isTrue();
            assertThat(pool.leases()).isEmpty();
            // the control's connection is the only one HikariCP has not got back
            assertThat(pool.hikari().getHikariPoolMXBean().getActiveConnections()).isEqualTo(1);
            for (int i = 0; i < 5; i++) {
                System.gc();
                Thread.sleep(100);
            }
            assertThat(events).hasSize(1);
        }
    }

    private static Statement statementOnly(GuardedPool pool) throws SQLException {
        return pool.getConnection().createStatement();
    }

    private static ResultSet resultSetOnly(GuardedPool pool) throws SQLException {
        PreparedStatement ps = pool.getConnection().prepareStatement("SELECT generate_series(?, 3)");
        ps.setInt(1, 2);
        return ps.executeQuery();
    }

    private static DatabaseMetaData metaDataOnly(GuardedPool pool) throws SQLException {
        return pool.getConnection().getMetaData();
    }

    private static void forget(GuardedPool pool) throws SQLException {
        try (Statement st = pool.getConnection().createStatement()) {
            st.execute("SELECT 1");
        }
    }

    @Test
    void resultSetGetStatementGetConnectionReturnsTheGuardedConnection(TestDatabase db) throws Exception {
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 2, 1000), config().build())) {
            Connection c = pool.getConnection();
            Statement st = c.createStatement();
            assertThat(st.getConnection()).isSameAs(c);
            ResultSet rs = st.executeQuery("SELECT 1");
            assertThat(rs.getStatement()).isSameAs(st);
            assertThat(rs.getStatement().getConnection()).isSameAs(c);
            assertThat(st.getResultSet()).isInstanceOf(LayeredResultSet.class);
            assertThat(st.getResultSet().getStatement()).isSameAs(st);
            assertThat(st.getResultSet()).isSameAs(st.getResultSet());

            assertThat(st.unwrap(LayeredStatement.class)).isSameAs(st);
            assertThat(st.unwrap(HikariProxyStatement.class)).isNotNull();
            assertThat(st.unwrap(PgStatement.class)).isNotNull();
            assertThat(st.isWrapperFor(PgStatement.class)).isTrue();
            assertThat(rs.unwrap(LayeredResultSet.class)).isSameAs(rs);
            assertThat(rs.unwrap(HikariProxyResultSet.class)).isNotNull();
            assertThat(rs.unwrap(PgResultSet.class)).isNotNull();
            assertThat(rs.isWrapperFor(PgResultSet.class)).isTrue();
            assertThat(rs.getStatement().getConnection().unwrap(PGConnection.class).getBackendPID())
                    .isEqualTo(c.unwrap(PGConnection.class).getBackendPID());

            PreparedStatement ps = c.prepareStatement("SELECT ?::int + 1");
            ps.setInt(1, 6);
            ResultSet prs = ps.executeQuery();
            assertThat(prs.next()).isTrue();
            assertThat(prs.getInt(1)).isEqualTo(7);
            assertThat(prs.getStatement()).isSameAs(ps);
            assertThat(ps.getConnection()).isSameAs(c);
            assertThat(ps.unwrap(HikariProxyPreparedStatement.class)).isNotNull();
            assertThat(ps.unwrap(PGStatement.class)).isNotNull();

            st.execute("CREATE TEMP TABLE keys (id serial PRIMARY KEY, v text)");
            PreparedStatement insert = c.prepareStatement("INSERT INTO keys (v) VALUES (?)", Statement.RETURN_GENERATED_KEYS);
            insert.setString(1, "a");
            insert.executeUpdate();
            ResultSet keys = insert.getGeneratedKeys();
            assertThat(keys.next()).isTrue();
            assertThat(keys.getInt("id")).isEqualTo(1);
            assertThat(keys.getStatement()).isSameAs(insert);
            assertThat(keys.getStatement().getConnection()).isSameAs(c);

            CallableStatement call = c.prepareCall("{? = call upper(?)}");
            call.registerOutParameter(1, Types.VARCHAR);
            call.setString(2, "guarded");
            call.execute();
            assertThat(call.getString(1)).isEqualTo("GUARDED");
            assertThat(call.getConnection()).isSameAs(c);

            // closing through the statement is a normal release of the wrapper
            rs.getStatement().getConnection().close();
            assertThat(c.isClosed()).isTrue();
            assertThat(pool.leases()).isEmpty();
            assertThat(pool.hikari().getHikariPoolMXBean().getActiveConnections()).isZero();
            assertThat(events).isEmpty();
        }
    }

    @Test
    void databaseMetaDataGetConnectionAndItsResultSetsReturnTheGuardedConnection(TestDatabase db) throws Exception {
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 2, 1000), config().build());
             Connection c = pool.getConnection()) {
            DatabaseMetaData md = c.getMetaData();
            assertThat(md.getConnection()).isSameAs(c);
            assertThat(md.unwrap(DatabaseMetaData.class)).isSameAs(md);
            assertThat(md.unwrap(HikariProxyDatabaseMetaData.class)).isNotNull();
            assertThat(md.unwrap(PgDatabaseMetaData.class)).isNotNull();
            assertThat(md.isWrapperFor(PgDatabaseMetaData.class)).isTrue();
            assertThat(md.getDatabaseProductName()).isEqualTo("PostgreSQL");

            ResultSet tables = md.getTables(null, "pg_catalog", "pg_class", new String[] {"SYSTEM TABLE"});
            assertThat(tables).isInstanceOf(LayeredResultSet.class);
            assertThat(tables.next()).isTrue();
            assertThat(tables.getString("TABLE_NAME")).isEqualTo("pg_class");
            assertThat(tables.getStatement().getConnection()).isSameAs(c);
            assertThat(tables.unwrap(PgResultSet.class)).isNotNull();
            ResultSet types = md.getTypeInfo();
            assertThat(types.next()).isTrue();
            assertThat(types.getStatement().getConnection()).isSameAs(c);
            assertThat(pool.leases()).hasSize(1);
        }
    }

    @Test
    void connectionClosedThroughHikariProxyReachedByUnwrapIsNotALeak(TestDatabase db) throws Exception {
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 2, 1000), config().reclaimUnclosed(true).build())) {
            closeThroughHikariProxy(pool);
            for (int i = 0; i < 10; i++) {
                System.gc();
                Thread.sleep(100);
            }
            assertThat(Pools.await(Duration.ofSeconds(3), () -> pool.leases().isEmpty())).isTrue();
            Thread.sleep(300);
            assertThat(events).isEmpty();
            assertThat(pool.hikari().getHikariPoolMXBean().getActiveConnections()).isZero();
        }
    }

    private static void closeThroughHikariProxy(GuardedPool pool) throws Exception {
        Connection c = pool.getConnection();
        c.unwrap(HikariProxyConnection.class).close();
        assertThat(c.isClosed()).isTrue();
    }

    @Test
    void unclosedConnectionInsideATransactionIsReclaimedAndItsLocksReleased(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE reclaim_account (id int PRIMARY KEY, balance int NOT NULL)");
        db.execute("INSERT INTO reclaim_account VALUES (1, 100)");
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 1, 1000), config().reclaimUnclosed(true).build())) {
            int pid = updateInTransactionAndForget(pool);
            gcUntilUnclosed(1);

            assertThat(events(LeakReport.Kind.UNCLOSED)).hasSize(1);
            LeakReport leak = events(LeakReport.Kind.UNCLOSED).get(0);
            assertThat(leak.reclaimed()).isTrue();
            assertThat(leak.backendPid()).isEqualTo(pid);
            assertThat(leak.sessionState()).isEqualTo("idle in transaction");
            assertThat(leak.query()).contains("UPDATE reclaim_account");
            assertThat(leak.borrowSite().get(0).getMethodName()).isEqualTo("updateInTransactionAndForget");
            assertThat(leak.message()).contains("returned to the pool after rollback").doesNotContain("never returns");
            assertThat(pool.leases()).isEmpty();
            assertThat(pool.leaksSeen()).isEqualTo(1);

            // the row lock is gone: another session updates the row at once, and the update was rolled back
            try (Connection other = db.dataSource().getConnection(); Statement st = other.createStatement()) {
                st.execute("SET lock_timeout = '2s'");
                assertThat(st.executeUpdate("UPDATE reclaim_account SET balance = balance + 1 WHERE id = 1")).isEqualTo(1);
                try (ResultSet rs = st.executeQuery("SELECT balance FROM reclaim_account WHERE id = 1")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getInt(1)).isEqualTo(101);
                }
            }
            // HikariCP got its only connection back
            try (Connection c = pool.getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT 1")) {
                assertThat(rs.next()).isTrue();
                assertThat(c.getAutoCommit()).isTrue();
            }
            assertThat(pool.hikari().getHikariPoolMXBean().getActiveConnections()).isZero();
            assertThat(events(LeakReport.Kind.UNCLOSED)).hasSize(1);
        }
    }

    private static int updateInTransactionAndForget(GuardedPool pool) throws SQLException {
        Connection c = pool.getConnection();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            assertThat(st.executeUpdate("UPDATE reclaim_account SET balance = balance - 50 WHERE id = 1")).isEqualTo(1);
        }
        return c.unwrap(PGConnection.class).getBackendPID();
    }

    @Test
    void unclosedConnectionIsReportedButNotReclaimedByDefault(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE keep_account (id int PRIMARY KEY, balance int NOT NULL)");
        db.execute("INSERT INTO keep_account VALUES (1, 100)");
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 1, 500), config().build())) {
            updateAndForget(pool);
            gcUntilUnclosed(1);

            assertThat(events(LeakReport.Kind.UNCLOSED)).hasSize(1);
            LeakReport leak = events(LeakReport.Kind.UNCLOSED).get(0);
            assertThat(leak.reclaimed()).isFalse();
            assertThat(leak.sessionState()).isEqualTo("idle in transaction");
            assertThat(leak.message()).contains("never returns to the pool");
            assertThat(pool.hikari().getHikariPoolMXBean().getActiveConnections()).isEqualTo(1);
            // the lock is still held: the runbook 7 wedge the opt-in reclaim prevents
            try (Connection other = db.dataSource().getConnection(); Statement st = other.createStatement()) {
                st.execute("SET lock_timeout = '200ms'");
                assertThatThrownBy(() -> st.executeUpdate("UPDATE keep_account SET balance = 0 WHERE id = 1"))
                        .isInstanceOf(SQLException.class)
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("55P03"));
            }
        }
    }

    private static void updateAndForget(GuardedPool pool) throws SQLException {
        Connection c = pool.getConnection();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE keep_account SET balance = balance - 50 WHERE id = 1");
        }
    }
}
