package io.ampora.dbguard.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.ds.PGSimpleDataSource;

@WithPostgres
class MeteredDataSourceTest {

    @Test
    void unwrapAndIsWrapperForReachTheDriverThroughTheDecorator(TestDatabase db) throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DataSource metered = QueryMetrics.of(registry).wrap(db.dataSource());

        assertThat(metered.isWrapperFor(PGSimpleDataSource.class)).isTrue();
        assertThat(metered.unwrap(PGSimpleDataSource.class)).isInstanceOf(PGSimpleDataSource.class);
        assertThat(metered.unwrap(DataSource.class)).isSameAs(metered);
        try (Connection c = metered.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT 1")) {
            assertThat(c.isWrapperFor(PGConnection.class)).isTrue();
            assertThat(c.unwrap(PGConnection.class).getBackendPID()).isPositive();
            assertThat(c.unwrap(Connection.class)).isSameAs(c);
            assertThat(ps.getConnection()).as("the statement hands back the decorated connection").isSameAs(c);
            assertThat(ps.isWrapperFor(org.postgresql.PGStatement.class)).isTrue();
            assertThat(c.isWrapperFor(String.class)).isFalse();
        }
    }

    @Test
    void closeIsIdempotentAtEveryLevel(TestDatabase db) throws Exception {
        DataSource metered = QueryMetrics.of(new SimpleMeterRegistry()).wrap(db.dataSource());
        Connection c = metered.getConnection();
        Statement st = c.createStatement();
        st.close();
        st.close();
        assertThat(st.isClosed()).isTrue();
        c.close();
        c.close();
        assertThat(c.isClosed()).isTrue();
        assertThat(c.unwrap(PGConnection.class)).isNotNull();
    }

    @Test
    void failingStatementIsTimedAsErrorAndItsExceptionPassesUnchanged(TestDatabase db) throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DataSource metered = QueryMetrics.of(registry).wrap(db.dataSource());

        try (Connection c = metered.getConnection(); Statement st = c.createStatement()) {
            assertThatThrownBy(() -> QueryOperation.call("broken-report", () -> st.executeQuery("SELECT * FROM no_such_table")))
                    .isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("42P01"));
        }

        assertThat(timer(registry, "error", "broken-report").count()).isEqualTo(1);
        assertThat(registry.find(QueryMetrics.QUERY_TIMER).tag("outcome", "success").timers()).isEmpty();
        assertThat(registry.get(QueryMetrics.ACQUIRE_TIMER).tag("outcome", "success").timer().count()).isEqualTo(1);
    }

    @Test
    void everyExecuteVariantIsTimedWhateverTheStatementKind(TestDatabase db) throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DataSource metered = QueryMetrics.of(registry).wrap(db.dataSource());
        try (Connection c = metered.getConnection()) {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TEMP TABLE t (id int)");
                st.executeUpdate("INSERT INTO t VALUES (1)");
                st.executeLargeUpdate("INSERT INTO t VALUES (2)");
                st.addBatch("INSERT INTO t VALUES (3)");
                st.executeBatch();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO t VALUES (?)")) {
                ps.setInt(1, 4);
                ps.executeUpdate();
                ps.setInt(1, 5);
                ps.addBatch();
                ps.executeBatch();
            }
            try (CallableStatement cs = c.prepareCall("{ ? = call upper(?) }")) {
                cs.registerOutParameter(1, java.sql.Types.VARCHAR);
                cs.setString(2, "x");
                cs.execute();
                assertThat(cs.getString(1)).isEqualTo("X");
            }
            try (Statement st = c.createStatement(); var rs = st.executeQuery("SELECT count(*) FROM t")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(5);
            }
        }
        assertThat(timer(registry, "success", QueryOperation.UNNAMED).count())
                .as("execute, executeUpdate, executeLargeUpdate, 2 x executeBatch, executeUpdate, call, executeQuery")
                .isEqualTo(8);
    }

    @Test
    void statementsReachedThroughResultSetsAndMetadataAreTimed(TestDatabase db) throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DataSource metered = QueryMetrics.of(registry).wrap(db.dataSource());
        try (Connection c = metered.getConnection()) {
            QueryOperation.call("via-result-set", () -> {
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
                    rs.getStatement().executeQuery("SELECT 2").close();
                    rs.getStatement().getConnection().createStatement().executeQuery("SELECT 3").close();
                }
                return null;
            });
            QueryOperation.call("via-metadata", () -> {
                try (Statement st = c.getMetaData().getConnection().createStatement()) {
                    st.executeQuery("SELECT 4").close();
                }
                try (ResultSet schemas = c.getMetaData().getSchemas()) {
                    schemas.getStatement().getConnection().prepareStatement("SELECT 5").executeQuery().close();
                }
                return null;
            });
        }
        assertThat(timer(registry, "success", "via-result-set").count())
                .as("the statement, its result set's getStatement(), and that statement's connection").isEqualTo(3);
        assertThat(timer(registry, "success", "via-metadata").count())
                .as("metadata getConnection(), a metadata result set's statement's connection").isEqualTo(2);
    }

    @Test
    void decoratorsComposeInAnyOrderAndEachTimesTheStatement(TestDatabase db) throws Exception {
        SimpleMeterRegistry inner = new SimpleMeterRegistry();
        SimpleMeterRegistry outer = new SimpleMeterRegistry();
        // metered -> another wrapper (a tenant binder, a pool) -> metered -> driver
        try (QueryLatencyCheckTest.FixedPool pool = new QueryLatencyCheckTest.FixedPool(
                QueryMetrics.of(inner).wrap(db.dataSource()), 1)) {
            DataSource layered = QueryMetrics.of(outer).wrap(pool);
            try (Connection c = layered.getConnection(); Statement st = c.createStatement()) {
                st.executeQuery("SELECT 1").close();
                assertThat(c.unwrap(PGConnection.class).getBackendPID()).isPositive();
            }
        }
        assertThat(timer(inner, "success", QueryOperation.UNNAMED).count()).isEqualTo(1);
        assertThat(timer(outer, "success", QueryOperation.UNNAMED).count()).isEqualTo(1);
    }

    @Test
    @SuppressWarnings("try")
    void operationNamesAreShortIdentifiersNeverSql() {
        assertThatThrownBy(() -> QueryOperation.open("SELECT * FROM orders WHERE id = 42"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("never the SQL");
        try (QueryOperation.Scope outer = QueryOperation.open("outer-op")) {
            try (QueryOperation.Scope inner = QueryOperation.open("inner-op")) {
                assertThat(QueryOperation.current()).isEqualTo("inner-op");
            }
            assertThat(QueryOperation.current()).isEqualTo("outer-op");
        }
        assertThat(QueryOperation.current()).isEqualTo(QueryOperation.UNNAMED);
    }

    private static Timer timer(SimpleMeterRegistry registry, String outcome, String operation) {
        return registry.get(QueryMetrics.QUERY_TIMER).tag("outcome", outcome).tag("operation", operation).timer();
    }
}
