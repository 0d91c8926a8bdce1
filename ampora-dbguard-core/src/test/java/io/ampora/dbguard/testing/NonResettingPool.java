package io.ampora.dbguard.testing;

import io.ampora.dbguard.internal.jdbc.DelegatingDataSource;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import javax.sql.DataSource;

/**
 * The smallest pool: physical connections are reused and handed back exactly as the last borrower left them,
 * as pools that reset nothing do (HikariCP resets what was changed through its proxy's setters; DBCP, Tomcat's
 * pool, c3p0, Agroal and Spring's {@code SingleConnectionDataSource} reset less or nothing). A test borrows
 * after the library gave its connections back and sees what it left behind.
 */
public final class NonResettingPool extends DelegatingDataSource {

    private final DataSource physical;
    private final Deque<Connection> idle = new ArrayDeque<>();
    private final List<Connection> all = new ArrayList<>();

    private NonResettingPool(DataSource physical) {
        super(physical);
        this.physical = physical;
    }

    /**
     * @param physical where new physical connections come from
     * @return an empty pool
     */
    public static NonResettingPool of(DataSource physical) {
        return new NonResettingPool(physical);
    }

    /** @return every physical connection the pool opened, for a test to inspect */
    public synchronized List<Connection> physicalConnections() {
        return List.copyOf(all);
    }

    @Override
    public Connection getConnection() throws SQLException {
        Connection c;
        synchronized (this) {
            c = idle.pollFirst();
        }
        if (c == null) {
            c = physical.getConnection();
            synchronized (this) {
                all.add(c);
            }
        }
        return borrowed(c);
    }

    private Connection borrowed(Connection c) {
        boolean[] closed = {false};
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "close" -> {
                            if (!closed[0]) {
                                closed[0] = true;
                                synchronized (this) {
                                    idle.addFirst(c);
                                }
                            }
                            return null;
                        }
                        case "isClosed" -> {
                            return closed[0] || c.isClosed();
                        }
                        default -> {
                            if (closed[0]) {
                                throw new SQLException("connection returned to the pool", "08003");
                            }
                            try {
                                return method.invoke(c, args);
                            } catch (InvocationTargetException e) {
                                throw e.getCause();
                            }
                        }
                    }
                });
    }

    /** @return whether every physical connection is back in the pool (none borrowed now) */
    public synchronized boolean allReturned() {
        return idle.size() == all.size();
    }

    /** Closes every physical connection. */
    public synchronized void closeAll() {
        for (Connection c : all) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // gone already
            }
        }
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("one user per pool");
    }
}
