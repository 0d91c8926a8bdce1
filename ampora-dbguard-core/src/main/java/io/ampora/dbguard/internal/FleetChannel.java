package io.ampora.dbguard.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One monitor's link to its fleet, through the database the fleet shares: one read-only session that holds
 * the advisory locks electing this instance as the runner of database-wide checks, {@code LISTEN}s on the
 * fleet's channel and sends results with {@code pg_notify}. Nothing is written to any table.
 *
 * <p>Election: the lock key of a check is derived from the fleet and the check id (the first 8 bytes of
 * SHA-256 of {@code "ampora-dbguard\0" + fleet + "\0" + checkId}); {@code pg_try_advisory_lock} at each
 * interval gives the check to the first instance that asks, and it keeps running it as long as its session
 * lives. Session-level locks die with the session, so a crashed runner's checks go to another instance at
 * their next interval. The channel is {@code ampora_dbguard_} + 16 hex digits of the fleet's hash: two fleets
 * on one database neither share runners nor hear each other.
 *
 * <p>A background thread owns the session's lifecycle: it connects (and reconnects after a failure), reads
 * notifications, and sends a heartbeat statement every {@code heartbeat}; the session's
 * {@code idle_session_timeout} (PostgreSQL 14+) is set to a few heartbeats, so that the server ends the
 * session (and frees its locks) of an instance cut off by the network, which cannot unlock anything itself.
 *
 * <p>All of this needs a server session of its own. A DataSource that reaches PostgreSQL through a connection
 * pooler (PgBouncer, RDS Proxy, ...) is seen at the first statement, before anything is set (the pooler's
 * cancel key differs from the server's backend pid), and the channel stays down for good with the reason: every
 * instance then runs the database-wide checks itself.
 */
public final class FleetChannel implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FleetChannel.class);
    private static final long POLL_MILLIS = 100;

    private final DataSource dataSource;
    private final String fleet;
    private final String instance;
    private final String channel;
    private final Duration heartbeat;
    private final Consumer<String> onPayload;
    private final Runnable onJoin;
    /** Fair: the channel thread re-locks in a loop, and must not starve the monitor thread. */
    private final ReentrantLock io = new ReentrantLock(true);
    private final Map<String, Long> keys = new ConcurrentHashMap<>();
    /** Checks whose lock this session holds; cleared when the session is lost. */
    private final Set<String> held = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile Connection connection;
    private volatile int backendPid;
    /** What the channel's connection was like before the channel changed it, given back with it. */
    private volatile SessionBefore sessionBefore;
    private volatile String downReason = "not connected yet";
    private volatile long joinedAtMillis;
    private volatile boolean closed;

    /**
     * Opens the channel; the session is connected in the background.
     *
     * @param dataSource the primary's DataSource
     * @param fleet      the fleet's name
     * @param instance   this instance's name
     * @param heartbeat  how often the session is proven alive
     * @param onPayload  called on the channel's thread with every payload another session sent
     * @param onJoin     called on the channel's thread after each (re)connection
     */
    public FleetChannel(DataSource dataSource, String fleet, String instance, Duration heartbeat,
                        Consumer<String> onPayload, Runnable onJoin) {
        this.dataSource = dataSource;
        this.fleet = fleet;
        this.instance = instance;
        this.channel = "ampora_dbguard_" + HexFormat.of().toHexDigits(hash("channel\0" + fleet));
        this.heartbeat = heartbeat;
        this.onPayload = onPayload;
        this.onJoin = onJoin;
        this.thread = new Thread(this::loop, "dbguard-fleet-" + instance);
        thread.setDaemon(true);
        thread.start();
    }

    /** @return the channel name the fleet listens on */
    public String channel() {
        return channel;
    }

    /**
     * The advisory lock key that elects the runner of a check in a fleet.
     *
     * @param fleet   the fleet
     * @param checkId the check
     * @return the bigint key
     */
    public static long lockKey(String fleet, String checkId) {
        return hash("ampora-dbguard\0" + fleet + "\0" + checkId);
    }

    /** @return why the channel cannot be used now, or {@code null} when it is up */
    public String downReason() {
        return connection == null ? downReason : null;
    }

    /** @return when the current session joined the fleet (epoch ms), 0 before the first join */
    public long joinedAtMillis() {
        return joinedAtMillis;
    }

    /** @return the backend pid of the channel's session, 0 when not connected */
    public int backendPid() {
        return connection == null ? 0 : backendPid;
    }

    /**
     * Elects this instance for the given checks where it can: the checks whose lock it already holds (its
     * session is proven alive by the statement) plus those whose lock it gets now.
     *
     * @param checkIds the database-wide checks due now
     * @return the checks this instance runs for the fleet in this interval
     * @throws SQLException when the session is not usable; the channel then reconnects in the background
     */
    public Set<String> lead(Collection<String> checkIds) throws SQLException {
        Map<Long, String> wanted = new LinkedHashMap<>();
        for (String id : checkIds) {
            if (!held.contains(id)) {
                wanted.put(keys.computeIfAbsent(id, k -> lockKey(fleet, k)), id);
            }
        }
        io.lock();
        try {
            Connection c = usable();
            if (wanted.isEmpty()) {
                try (Statement st = c.createStatement()) {
                    st.execute("SELECT 1");
                }
            } else {
                Array array = c.createArrayOf("bigint", wanted.keySet().toArray());
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT k, pg_catalog.pg_try_advisory_lock(k) FROM pg_catalog.unnest(?::bigint[]) AS k")) {
                    ps.setArray(1, array);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            if (rs.getBoolean(2)) {
                                held.add(wanted.get(rs.getLong(1)));
                            }
                        }
                    }
                }
            }
        } catch (SQLException e) {
            lost(e);
            throw e;
        } finally {
            io.unlock();
        }
        Set<String> leading = new HashSet<>(checkIds);
        leading.retainAll(held);
        return leading;
    }

    /**
     * Whether this instance holds the lock of a check, as far as it knows (its session was alive at the last
     * statement).
     *
     * @param checkId the check
     * @return {@code true} when it runs the check for the fleet
     */
    public boolean leads(String checkId) {
        return connection != null && held.contains(checkId);
    }

    /**
     * Sends a payload to the fleet.
     *
     * @param payload at most {@link FleetDigest#MAX_BYTES}
     * @throws SQLException when the session is not usable
     */
    public void publish(String payload) throws SQLException {
        io.lock();
        try (PreparedStatement ps = usable().prepareStatement("SELECT pg_catalog.pg_notify(?, ?)")) {
            ps.setString(1, channel);
            ps.setString(2, payload);
            ps.execute();
        } catch (SQLException e) {
            lost(e);
            throw e;
        } finally {
            io.unlock();
        }
    }

    private Connection usable() throws SQLException {
        Connection c = connection;
        if (c == null) {
            throw new SQLException("The fleet channel is down: " + downReason, "08003");
        }
        return c;
    }

    private void loop() {
        long nextBeat = 0;
        while (!closed) {
            try {
                if (connection == null) {
                    connect();
                    nextBeat = System.nanoTime() + heartbeat.toNanos();
                    onJoin.run();
                }
                PGNotification[] received;
                io.lock();
                try {
                    Connection c = usable();
                    received = c.unwrap(PGConnection.class).getNotifications((int) POLL_MILLIS);
                    if (System.nanoTime() >= nextBeat) {
                        try (Statement st = c.createStatement()) {
                            st.execute("SELECT 1");
                        }
                        nextBeat = System.nanoTime() + heartbeat.toNanos();
                    }
                } finally {
                    io.unlock();
                }
                if (received != null) {
                    for (PGNotification n : received) {
                        if (n.getPID() != backendPid && channel.equals(n.getName())) {
                            deliver(n.getParameter());
                        }
                    }
                }
            } catch (NoSessionOfItsOwn e) {
                // nothing was changed on the connection, and trying again would find the same pooler
                downReason = e.getMessage();
                LOG.warn("Fleet '{}' is off on this instance: {}", fleet, e.getMessage());
                return;
            } catch (SQLException | RuntimeException e) {
                if (closed) {
                    return;
                }
                lost(e);
                sleep(heartbeat.toMillis());
            }
        }
    }

    /**
     * The channel's advisory locks, LISTEN and settings live in one server session: a connection pooler between
     * (PgBouncer, RDS Proxy, ...) gives each transaction whichever server session is free, so the locks would
     * stay with a session other clients use, the notifications would not reach this instance, and the
     * settings would land on the application's next transaction. Such poolers answer the startup with a cancel
     * key of their own: the backend pid the driver was told is not the server session's.
     *
     * @param c          the channel's connection
     * @param backendPid {@code pg_backend_pid()} as the server answered
     * @throws NoSessionOfItsOwn when the two differ
     */
    private void requireOwnSession(Connection c, int backendPid) throws SQLException {
        int told = c.unwrap(PGConnection.class).getBackendPID();
        if (told != backendPid) {
            throw new NoSessionOfItsOwn("the fleet channel needs a server session of its own, and this DataSource"
                    + " reaches PostgreSQL through a connection pooler (the driver was told backend pid " + told
                    + ", the server session is pid " + backendPid + "); every instance runs the database-wide checks"
                    + " itself. Give the monitor's guard a direct connection (DbGuard.builder().jdbcUrl(...) to the"
                    + " server, not the pooler), or drop MonitorConfig.fleet(...)");
        }
    }

    /** The DataSource does not give the channel a server session of its own: the fleet stays off. */
    private static final class NoSessionOfItsOwn extends SQLException {
        NoSessionOfItsOwn(String message) {
            super(message, "55000");
        }
    }

    private void deliver(String payload) {
        try {
            onPayload.accept(payload);
        } catch (RuntimeException e) {
            LOG.warn("Fleet message handler failed; message ignored", e);
        }
    }

    private void connect() throws SQLException {
        Connection c = dataSource.getConnection();
        SessionBefore found = null;
        try {
            boolean autoCommit = c.getAutoCommit();
            int networkTimeout = c.getNetworkTimeout();
            found = new SessionBefore(autoCommit, networkTimeout, null, null, null);
            c.setAutoCommit(true);
            int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, heartbeat.multipliedBy(4).toMillis());
            c.setNetworkTimeout(Runnable::run, timeoutMillis);
            try (Statement st = c.createStatement()) {
                try (ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_backend_pid(),"
                        + " pg_catalog.current_setting('default_transaction_read_only'),"
                        + " pg_catalog.current_setting('application_name'),"
                        + " pg_catalog.current_setting('idle_session_timeout', true)")) {
                    rs.next();
                    backendPid = rs.getInt(1);
                    found = new SessionBefore(autoCommit, networkTimeout, rs.getString(2), rs.getString(3), rs.getString(4));
                }
                // before anything that changes the session: behind a pooler in transaction mode each statement
                // may run on another server session, which keeps what was set for the next client
                requireOwnSession(c, backendPid);
                st.execute("SET default_transaction_read_only = on");
                st.execute("SET application_name = 'ampora-dbguard-fleet'");
                if (found.idleSessionTimeout() != null) {
                    long idleMillis = Math.max(10_000, heartbeat.multipliedBy(6).toMillis());
                    st.execute("SET idle_session_timeout = " + idleMillis);
                }
                st.execute("LISTEN " + channel);
            }
        } catch (SQLException | RuntimeException e) {
            // a pooled connection goes back as it came; through a pooler nothing was set on the server, and a
            // statement there would run on whichever server session is free
            closeQuietly(c, !(e instanceof NoSessionOfItsOwn), found);
            throw e;
        }
        sessionBefore = found;
        held.clear();
        joinedAtMillis = System.currentTimeMillis();
        connection = c;
        downReason = null;
        LOG.info("Joined database monitor fleet '{}' as {} (session pid {}, channel {})", fleet, instance, backendPid,
                channel);
    }

    private void lost(Exception e) {
        Connection c = connection;
        connection = null;
        held.clear();
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof SQLException s && s.getSQLState() != null) {
            reason = reason + " (SQLState " + s.getSQLState() + ")";
        }
        if (c != null) {
            LOG.warn("Lost the fleet channel of '{}': {}; running database-wide checks on this instance until it is back",
                    fleet, reason);
            // after a network error the session is gone; after any other error it may go back to a pool
            boolean broken = e instanceof SQLException s && s.getSQLState() != null
                    && (s.getSQLState().startsWith("08") || s.getSQLState().startsWith("57P"));
            closeQuietly(c, !broken, sessionBefore);
        } else if (!reason.equals(downReason)) {
            LOG.debug("Fleet channel of '{}' still down: {}", fleet, reason);
        }
        downReason = reason;
    }

    /**
     * Gives a connection back: a pooled one as it came (the pool resets none of this, HikariCP only what was
     * changed through its proxy's setters), then closes it.
     *
     * @param c       the connection
     * @param release whether the server session is the channel's and alive: free its locks and settings
     * @param before  what the session was like before the channel changed it, null when not read
     */
    private static void closeQuietly(Connection c, boolean release, SessionBefore before) {
        try {
            if (!c.isClosed()) {
                if (release) {
                    try (Statement st = c.createStatement()) {
                        st.execute("SELECT pg_catalog.pg_advisory_unlock_all()");
                        st.execute("UNLISTEN *");
                    }
                    if (before != null && before.readOnly() != null) {
                        // the session's own values, not the defaults RESET would give (a pool's init SQL may set them)
                        try (PreparedStatement ps = c.prepareStatement(
                                "SELECT pg_catalog.set_config('default_transaction_read_only', ?, false),"
                                + " pg_catalog.set_config('application_name', ?, false)"
                                + (before.idleSessionTimeout() == null ? ""
                                        : ", pg_catalog.set_config('idle_session_timeout', ?, false)"))) {
                            ps.setString(1, before.readOnly());
                            ps.setString(2, before.applicationName());
                            if (before.idleSessionTimeout() != null) {
                                ps.setString(3, before.idleSessionTimeout());
                            }
                            ps.execute();
                        }
                    }
                }
                if (before != null) {
                    c.setNetworkTimeout(Runnable::run, before.networkTimeout());
                    c.setAutoCommit(before.autoCommit());
                }
            }
        } catch (SQLException | RuntimeException ignored) {
            // the session is gone: so are its locks and settings
        }
        try {
            c.close();
        } catch (SQLException | RuntimeException ignored) {
            // nothing more to free
        }
    }

    /**
     * What the channel's connection was like before the channel changed it.
     *
     * @param autoCommit         its autocommit
     * @param networkTimeout     its network timeout, ms
     * @param readOnly           {@code default_transaction_read_only}, null when not read yet
     * @param applicationName    {@code application_name}
     * @param idleSessionTimeout {@code idle_session_timeout}, null before PostgreSQL 14
     */
    private record SessionBefore(boolean autoCommit, int networkTimeout, String readOnly, String applicationName,
                                 String idleSessionTimeout) {
    }

    private void sleep(long millis) {
        try {
            Thread.sleep(Math.max(POLL_MILLIS, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    /** Releases the locks, stops listening and closes the session; the fleet elects other runners. */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        io.lock();
        try {
            Connection c = connection;
            connection = null;
            if (c != null) {
                closeQuietly(c, true, sessionBefore);
            }
        } finally {
            io.unlock();
        }
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long hash(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (d[i] & 0xff);
            }
            return v;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
