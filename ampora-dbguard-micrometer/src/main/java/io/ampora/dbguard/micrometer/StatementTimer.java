package io.ampora.dbguard.micrometer;

import io.ampora.dbguard.internal.jdbc.JdbcCall;
import io.ampora.dbguard.internal.jdbc.JdbcHook;
import io.ampora.dbguard.internal.jdbc.LayeredStatement;
import java.sql.SQLException;

/**
 * The query timer's hook on the JDBC layer: times every statement execution of the connections it is added to,
 * whichever way the statement was reached (the connection, a result set's {@code getStatement()}, the metadata's
 * {@code getConnection()}); a failed one is also explained and counted by cause. Stateless: one per
 * {@link QueryMetrics}, shared by all connections.
 */
final class StatementTimer implements JdbcHook {

    private final QueryMetrics metrics;

    StatementTimer(QueryMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public <T> T execute(LayeredStatement statement, String sql, JdbcCall<T> call) throws SQLException {
        if (statement == null) {
            // a savepoint, not a statement of the application
            return call.call();
        }
        long t0 = System.nanoTime();
        T result;
        try {
            result = call.call();
        } catch (SQLException | RuntimeException | Error e) {
            long t1 = System.nanoTime();
            metrics.recordFailure(t1 - t0, t1, e);
            throw e;
        }
        long t1 = System.nanoTime();
        metrics.recordSuccess(t1 - t0, t1);
        return result;
    }
}
