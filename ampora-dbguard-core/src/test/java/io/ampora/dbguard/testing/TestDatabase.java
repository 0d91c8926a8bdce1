package io.ampora.dbguard.testing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A fresh database of its own for one test class, on a shared server. Sessions opened with
 * {@link #openSession()} (e.g. to hold a lock) are closed when the class ends, and the database is dropped.
 */
public final class TestDatabase implements AutoCloseable {

    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final PostgresServer server;
    private final String name;
    private final List<Connection> sessions = new ArrayList<>();

    private TestDatabase(PostgresServer server, String name) {
        this.server = server;
        this.name = name;
    }

    /**
     * Creates a database for a test class on a server.
     *
     * @param server the server
     * @param owner  the test class, whose name goes into the database's name
     * @return the database
     * @throws SQLException when it cannot be created
     */
    public static TestDatabase create(PostgresServer server, Class<?> owner) throws SQLException {
        String base = owner.getSimpleName().toLowerCase().replaceAll("[^a-z0-9]", "");
        String name = "t_" + (base.length() > 40 ? base.substring(0, 40) : base) + "_" + COUNTER.incrementAndGet()
                + "_" + ProcessHandle.current().pid();
        server.adminExecute("CREATE DATABASE " + name);
        return new TestDatabase(server, name);
    }

    /** @return the server */
    public PostgresServer server() {
        return server;
    }

    /** @return the database name */
    public String name() {
        return name;
    }

    /** @return the JDBC URL of the database, without credentials */
    public String jdbcUrl() {
        return server.jdbcUrl(name);
    }

    /** @return a non-pooled DataSource as the administrative user (a superuser on embedded servers) */
    public PGSimpleDataSource dataSource() {
        return server.adminDataSource(name);
    }

    /**
     * A non-pooled DataSource as another role.
     *
     * @param user     the role
     * @param password its password
     * @return the DataSource
     */
    public PGSimpleDataSource dataSource(String user, String password) {
        return server.dataSource(name, user, password);
    }

    /**
     * Runs statements as the administrative user.
     *
     * @param sql one or more statements
     * @throws SQLException when they fail
     */
    public void execute(String sql) throws SQLException {
        try (Connection c = dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /**
     * Reads one value as the administrative user.
     *
     * @param sql a query returning one row and column
     * @return the value as text
     * @throws SQLException when it fails
     */
    public String queryString(String sql) throws SQLException {
        try (Connection c = dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /**
     * How often statements whose text contains {@code fragment} ran in this database, from pg_stat_statements
     * (the extension must be loaded and created); its own reads are left out.
     */
    public long statementCalls(String fragment) throws SQLException {
        try (Connection c = dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s"
                     + " JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database()"
                     + " AND strpos(s.query, ?) > 0 AND strpos(s.query, 'pg_stat_statements') = 0")) {
            ps.setString(1, fragment);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /**
     * Opens a session that stays open (holding whatever it takes) until closed or the class ends.
     *
     * @return the connection, autocommit on
     * @throws SQLException when it cannot connect
     */
    public synchronized Connection openSession() throws SQLException {
        Connection c = dataSource().getConnection();
        sessions.add(c);
        return c;
    }

    /**
     * Opens a lasting session as another role.
     *
     * @param user     the role
     * @param password its password
     * @return the connection
     * @throws SQLException when it cannot connect
     */
    public synchronized Connection openSession(String user, String password) throws SQLException {
        Connection c = dataSource(user, password).getConnection();
        sessions.add(c);
        return c;
    }

    /**
     * Creates a login role (dropped with the server); names must be unique per server, so pass a
     * name derived from the test.
     *
     * @param role      the role name
     * @param password  its password
     * @param options   extra role options, e.g. {@code BYPASSRLS}
     * @throws SQLException when it fails
     */
    public void createRole(String role, String password, String options) throws SQLException {
        server.adminExecute("DROP ROLE IF EXISTS " + role);
        server.adminExecute("CREATE ROLE " + role + " LOGIN PASSWORD '" + password.replace("'", "''") + "' "
                + (options == null ? "" : options));
        execute("GRANT CONNECT, TEMPORARY ON DATABASE " + name + " TO " + role);
    }

    @Override
    public synchronized void close() {
        for (Connection c : sessions) {
            try {
                c.close();
            } catch (SQLException e) {
                // best effort
            }
        }
        sessions.clear();
        try {
            server.adminExecute("DROP DATABASE IF EXISTS " + name + (server.majorVersion() >= 13 ? " WITH (FORCE)" : ""));
        } catch (SQLException e) {
            // a paused or external server: leave it
        }
    }
}
