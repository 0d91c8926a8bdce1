package io.ampora.dbguard.micrometer;

import io.ampora.dbguard.internal.jdbc.DelegatingDataSource;
import io.ampora.dbguard.internal.jdbc.JdbcCall;
import io.ampora.dbguard.internal.jdbc.LayeredConnection;
import java.io.Closeable;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The DataSource of {@link QueryMetrics#wrap(DataSource)}: times {@code getConnection()} and adds the
 * {@link StatementTimer} to the connection's JDBC layer (the same connection object when the wrapped DataSource
 * already hands out the layer's connections, e.g. a {@code GuardedPool}). {@code close()} closes the wrapped
 * DataSource when it can be closed.
 */
final class TimedDataSource extends DelegatingDataSource implements Closeable {

    private final QueryMetrics metrics;
    private final StatementTimer timer;

    TimedDataSource(DataSource target, QueryMetrics metrics) {
        super(target);
        this.metrics = metrics;
        this.timer = new StatementTimer(metrics);
    }

    @Override
    public Connection getConnection() throws SQLException {
        return timed(() -> target().getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return timed(() -> target().getConnection(username, password));
    }

    private Connection timed(JdbcCall<Connection> acquire) throws SQLException {
        long t0 = System.nanoTime();
        Connection connection;
        try {
            connection = acquire.call();
        } catch (SQLException | RuntimeException | Error e) {
            long t1 = System.nanoTime();
            metrics.recordAcquire(t1 - t0, t1, false);
            throw e;
        }
        long t1 = System.nanoTime();
        metrics.recordAcquire(t1 - t0, t1, true);
        return LayeredConnection.of(connection, timer);
    }

    @Override
    public void close() throws IOException {
        if (target() instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
    }

    @Override
    public String toString() {
        return "Metered[" + target() + "]";
    }
}
