package io.ampora.dbguard.internal.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postgresql.jdbc.PgArray;
import org.postgresql.jdbc.PgResultSet;

/**
 * SQL arrays reached through the layer: pgjdbc builds an array's result set on a statement of its own
 * connection, so without decoration {@code array.getResultSet().getStatement()} ran SQL past every hook (the
 * tenant binding, the timer). Here a hook records what runs through the layer.
 */
@WithPostgres
class LayeredArrayTest {

    /** Records the SQL of every execution that passes the layer. */
    private static final class Recorder implements JdbcHook {
        final List<String> executed = new ArrayList<>();

        @Override
        public <T> T execute(LayeredStatement statement, String sql, JdbcCall<T> call) throws SQLException {
            executed.add(sql);
            return call.call();
        }
    }

    @Test
    void sqlRunThroughAnArraysResultSetStatementPassesTheHooks(TestDatabase db) throws Exception {
        Recorder recorder = new Recorder();
        try (LayeredConnection c = LayeredConnection.of(db.dataSource().getConnection(), recorder);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT ARRAY[1, 2], ARRAY['a']")) {
            rs.next();
            Array viaGetter = rs.getArray(1);
            Object viaObject = rs.getObject(2);
            Array created = c.createArrayOf("int4", new Object[] {3});

            for (Array array : List.of(viaGetter, (Array) viaObject, created)) {
                assertThat(array).isInstanceOf(LayeredArray.class);
                Statement reached = array.getResultSet().getStatement();
                assertThat(reached.getConnection()).isSameAs(c);
                try (ResultSet one = reached.executeQuery("SELECT 'reached through an array'")) {
                    one.next();
                }
            }
            assertThat(recorder.executed).containsExactly("SELECT ARRAY[1, 2], ARRAY['a']",
                    "SELECT 'reached through an array'", "SELECT 'reached through an array'",
                    "SELECT 'reached through an array'");
            assertThat(rs.getObject(1, Array.class)).isInstanceOf(LayeredArray.class);
            // unwrap is the one explicit way out, as for every object of the layer
            assertThat(rs.unwrap(PgResultSet.class).getArray(1)).isInstanceOf(PgArray.class);
        }
    }

    @Test
    void theLayersArrayIsBoundAsTheDriversOwn(TestDatabase db) throws Exception {
        try (Connection c = LayeredConnection.of(db.dataSource().getConnection(), null);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT ARRAY[1, 2, 3]")) {
            rs.next();
            Array array = rs.getArray(1);
            assertThat((Integer[]) array.getArray()).containsExactly(1, 2, 3);
            try (PreparedStatement ps = c.prepareStatement("SELECT ?::int4[] = ARRAY[1, 2, 3], ?::int4[] = ARRAY[1, 2, 3]")) {
                ps.setArray(1, array);
                ps.setObject(2, array);
                try (ResultSet same = ps.executeQuery()) {
                    same.next();
                    assertThat(same.getBoolean(1)).isTrue();
                    assertThat(same.getBoolean(2)).isTrue();
                }
            }
        }
    }
}
