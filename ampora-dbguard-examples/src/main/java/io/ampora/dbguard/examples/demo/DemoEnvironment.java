package io.ampora.dbguard.examples.demo;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.examples.doctor.EmbeddedDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The demo's world: an embedded PostgreSQL with password authentication for application roles, the
 * application role {@value #APP_ROLE}, and helpers to open sessions that hold things and to build guards.
 */
public final class DemoEnvironment implements AutoCloseable {

    /** The application's own role. */
    public static final String APP_ROLE = "ampora_app";
    /** The application's application_name. */
    public static final String APP_NAME = "ampora-demo";
    /** The demo database. */
    public static final String DATABASE = "ampora";

    private final EmbeddedDatabase database;
    private final String appPassword;
    private final List<Connection> sessions = new ArrayList<>();

    private DemoEnvironment(EmbeddedDatabase database, String appPassword) {
        this.database = database;
        this.appPassword = appPassword;
    }

    /**
     * Starts the embedded database and creates the demo database and application role.
     *
     * @return the environment
     * @throws SQLException when setup fails
     */
    public static DemoEnvironment start() throws SQLException {
        EmbeddedDatabase db = EmbeddedDatabase.start(true);
        String password = "demo-" + Long.toHexString(Double.doubleToLongBits(Math.random()));
        try (Connection c = db.adminDataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE ROLE " + APP_ROLE + " LOGIN PASSWORD '" + password + "'");
            st.execute("CREATE DATABASE " + DATABASE + " OWNER " + APP_ROLE);
        }
        return new DemoEnvironment(db, password);
    }

    /** @return the JDBC URL of the demo database */
    public String jdbcUrl() {
        return database.jdbcUrl(DATABASE);
    }

    /** @return the embedded server */
    public EmbeddedDatabase server() {
        return database;
    }

    /** @return the application role's password (never printed) */
    public String appPassword() {
        return appPassword;
    }

    /** @return a guard builder connected as the application, as a service would configure it */
    public DbGuard.Builder guardAsApp() {
        return DbGuard.builder().jdbcUrl(jdbcUrl()).user(APP_ROLE).password(appPassword).applicationName(APP_NAME);
    }

    /** @return a guard builder connected as the superuser */
    public DbGuard.Builder guardAsAdmin() {
        return DbGuard.builder().jdbcUrl(jdbcUrl()).user("postgres").applicationName(APP_NAME);
    }

    /**
     * Opens a session that stays open until the scenario ends.
     *
     * @param user            the role
     * @param password        its password, or null for the trusted superuser
     * @param applicationName the session's application_name
     * @return the connection
     * @throws SQLException when it cannot connect
     */
    public synchronized Connection openSession(String user, String password, String applicationName) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        if (password != null) {
            p.setProperty("password", password);
        }
        p.setProperty("ApplicationName", applicationName);
        Connection c = new org.postgresql.Driver().connect(jdbcUrl(), p);
        sessions.add(c);
        return c;
    }

    /**
     * Runs SQL as the superuser on the demo database.
     *
     * @param sql statements
     * @throws SQLException when they fail
     */
    public void admin(String sql) throws SQLException {
        try (Connection c = openAdmin(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private Connection openAdmin() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        return new org.postgresql.Driver().connect(jdbcUrl(), p);
    }

    /** Closes every session a scenario opened. */
    public synchronized void closeSessions() {
        for (Connection c : sessions) {
            try {
                c.close();
            } catch (SQLException e) {
                // already gone
            }
        }
        sessions.clear();
    }

    @Override
    public void close() {
        closeSessions();
        database.close();
    }
}
