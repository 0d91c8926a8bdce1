package io.ampora.dbguard.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import org.postgresql.Driver;

/** A server the developer runs: {@code AMPORA_TEST_JDBC_URL}, {@code AMPORA_TEST_USER}, {@code AMPORA_TEST_PASSWORD}. */
final class ExternalServer implements PostgresServer {

    private final String host;
    private final int port;
    private final String database;
    private final String user;
    private final String password;
    private final int major;

    ExternalServer(String url, String user, String password) {
        Properties parsed = Driver.parseURL(url, new Properties());
        if (parsed == null) {
            throw new IllegalStateException("AMPORA_TEST_JDBC_URL is not a jdbc:postgresql: URL");
        }
        this.host = parsed.getProperty("PGHOST", "localhost").split(",")[0];
        this.port = Integer.parseInt(parsed.getProperty("PGPORT", "5432").split(",")[0]);
        this.database = parsed.getProperty("PGDBNAME", "postgres");
        this.user = user == null || user.isEmpty() ? parsed.getProperty("user", "postgres") : user;
        this.password = password == null ? parsed.getProperty("password", "") : password;
        Properties p = adminProperties();
        try (Connection c = DriverManager.getConnection(jdbcUrl(database), p)) {
            this.major = c.getMetaData().getDatabaseMajorVersion();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot connect to AMPORA_TEST_JDBC_URL as " + this.user + ": "
                    + e.getMessage() + " (SQLState " + e.getSQLState() + ")", e);
        }
    }

    @Override
    public String host() {
        return host;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public String adminUser() {
        return user;
    }

    @Override
    public String adminPassword() {
        return password;
    }

    @Override
    public int majorVersion() {
        return major;
    }

    @Override
    public String maintenanceDatabase() {
        return database;
    }

    @Override
    public String describe() {
        return "external PostgreSQL " + major + " at " + host + ":" + port;
    }

    @Override
    public void stop() {
        // not ours to stop
    }
}
