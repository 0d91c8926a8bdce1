package io.ampora.dbguard.testing;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A running PostgreSQL that tests connect to: embedded (default), external ({@code AMPORA_TEST_JDBC_URL})
 * or a Testcontainers one ({@code -Dampora.test.pg=docker:17}).
 */
public interface PostgresServer {

    /** @return the host to connect to */
    String host();

    /** @return the TCP port */
    int port();

    /** @return the administrative user tests create databases and roles with */
    String adminUser();

    /** @return that user's password, empty when none is needed */
    String adminPassword();

    /** @return the server's major version */
    int majorVersion();

    /** @return a short description for messages, e.g. "embedded PostgreSQL 17.6.0" */
    String describe();

    /**
     * @param database a database name
     * @return the JDBC URL of that database, without credentials
     */
    default String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host() + ":" + port() + "/" + database;
    }

    /**
     * A non-pooled DataSource on a database as the administrative user.
     *
     * @param database the database
     * @return the DataSource
     */
    default PGSimpleDataSource adminDataSource(String database) {
        return dataSource(database, adminUser(), adminPassword());
    }

    /**
     * A non-pooled DataSource on a database as any user.
     *
     * @param database the database
     * @param user     the user
     * @param password the password, may be empty
     * @return the DataSource
     */
    default PGSimpleDataSource dataSource(String database, String user, String password) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setServerNames(new String[] {host()});
        ds.setPortNumbers(new int[] {port()});
        ds.setDatabaseName(database);
        ds.setUser(user);
        if (password != null && !password.isEmpty()) {
            ds.setPassword(password);
        }
        ds.setConnectTimeout(10);
        return ds;
    }

    /**
     * Runs SQL as the administrative user on the maintenance database.
     *
     * @param sql statements
     * @throws SQLException when they fail
     */
    default void adminExecute(String sql) throws SQLException {
        try (Connection c = adminDataSource(maintenanceDatabase()).getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /** @return the database to connect to for administration (usually {@code postgres}) */
    default String maintenanceDatabase() {
        return "postgres";
    }

    /** @return connection properties with the admin credentials */
    default Properties adminProperties() {
        Properties p = new Properties();
        p.setProperty("user", adminUser());
        if (!adminPassword().isEmpty()) {
            p.setProperty("password", adminPassword());
        }
        return p;
    }

    /** Stops the server; shared servers are stopped at JVM exit. */
    void stop();
}
