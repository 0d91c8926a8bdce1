package io.ampora.dbguard.runbook.locks;

import io.ampora.dbguard.testing.TestDatabase;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Builds lock situations for real: sessions that hold something inside an open transaction, and
 * sessions whose statement waits in a background thread. Closing rolls the holders back, which lets
 * the waiters finish, and closes every session.
 */
public final class LockScenario implements AutoCloseable {

    private final TestDatabase db;
    private final ExecutorService background = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "lock-scenario-waiter");
        t.setDaemon(true);
        return t;
    });
    private final List<Connection> holders = new ArrayList<>();
    private final List<Connection> waiters = new ArrayList<>();
    private final List<Future<?>> running = new ArrayList<>();

    /** @param db the database to build the situation in */
    public LockScenario(TestDatabase db) {
        this.db = db;
    }

    /**
     * Opens a session as the superuser and runs statements in a transaction left open.
     *
     * @param applicationName the session's application_name
     * @param sql             statements run one by one inside the transaction
     * @return the session's pid
     * @throws SQLException when a statement fails
     */
    public int hold(String applicationName, String... sql) throws SQLException {
        return holdAs(db.openSession(), applicationName, sql);
    }

    /**
     * Like {@link #hold(String, String...)} in a session of another role.
     *
     * @param user            the role
     * @param password        its password
     * @param applicationName the session's application_name
     * @param sql             statements run inside the transaction
     * @return the pid
     * @throws SQLException when a statement fails
     */
    public int holdAs(String user, String password, String applicationName, String... sql) throws SQLException {
        return holdAs(db.openSession(user, password), applicationName, sql);
    }

    private int holdAs(Connection c, String applicationName, String... sql) throws SQLException {
        int pid = prepare(c, applicationName);
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
        holders.add(c);
        return pid;
    }

    /**
     * Starts a statement in the background, in autocommit, that is expected to wait.
     *
     * @param applicationName the session's application_name
     * @param sql             the statement
     * @return the waiting session's pid
     * @throws SQLException when the session cannot be opened
     */
    public int waitOn(String applicationName, String sql) throws SQLException {
        Connection c = db.openSession();
        int pid = prepare(c, applicationName);
        waiters.add(c);
        running.add(background.submit(() -> {
            try (Statement st = c.createStatement()) {
                st.execute(sql);
            }
            return null;
        }));
        return pid;
    }

    /**
     * Blocks until the given sessions wait on a lock and have waited at least {@code atLeast}.
     *
     * @param atLeast the minimum wait
     * @param pids    the waiting sessions
     * @throws Exception when they do not wait within 10 seconds
     */
    public void awaitWaiting(Duration atLeast, Integer... pids) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement st = c.prepareStatement("SELECT count(*) FROM pg_catalog.pg_stat_activity"
                     + " WHERE pid = ANY (?) AND wait_event_type = 'Lock'"
                     + " AND clock_timestamp() - query_start >= ? * interval '1 millisecond'")) {
            Array array = c.createArrayOf("int4", pids);
            st.setArray(1, array);
            st.setLong(2, atLeast.toMillis());
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) == pids.length) {
                        return;
                    }
                }
                for (Future<?> f : running) {
                    if (f.isDone()) {
                        f.get();
                        throw new IllegalStateException("a waiting statement finished instead of waiting");
                    }
                }
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("sessions " + List.of(pids) + " did not wait on a lock within 10s");
    }

    private static int prepare(Connection c, String applicationName) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("SET application_name = '" + applicationName.replace("'", "''") + "'");
            try (ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    @Override
    public void close() throws Exception {
        for (Connection c : holders) {
            c.rollback();
            c.close();
        }
        for (Future<?> f : running) {
            try {
                f.get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // the waiter may fail (e.g. a later statement of the scenario); it is done either way
            }
        }
        for (Connection c : waiters) {
            c.close();
        }
        background.shutdownNow();
    }
}
