package io.ampora.dbguard.examples.doctor;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A throw-away PostgreSQL for the doctor and the demo when no {@code --jdbc-url} is given: zonky's
 * embedded server, started from the binaries bundled in the doctor jar, stopped on close.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    private final EmbeddedPostgres postgres;

    private EmbeddedDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /**
     * Starts a server with the settings the runbook scenarios need.
     *
     * @return the running database
     */
    public static EmbeddedDatabase start() {
        return start(false);
    }

    /**
     * Starts a server; with password authentication, roles other than {@code postgres} must give a
     * password over TCP (the superuser stays trusted so the server can be administered).
     *
     * @param passwordAuth whether other roles need a password
     * @return the running database
     */
    public static EmbeddedDatabase start(boolean passwordAuth) {
        return start(passwordAuth, java.util.Map.of());
    }

    /**
     * Starts a server with extra settings on top of the runbook scenarios' ones.
     *
     * @param passwordAuth whether other roles need a password
     * @param settings     more {@code postgresql.conf} settings, e.g. {@code archive_mode=on}
     * @return the running database
     */
    public static EmbeddedDatabase start(boolean passwordAuth, java.util.Map<String, String> settings) {
        try {
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setServerConfig("max_connections", "40")
                    .setServerConfig("max_wal_senders", "4")
                    .setServerConfig("shared_preload_libraries", "pg_stat_statements");
            settings.forEach(builder::setServerConfig);
            if (passwordAuth) {
                builder.setDataDirectoryCustomizer(dir -> writeHba(dir.toPath()));
            }
            return new EmbeddedDatabase(builder.start());
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded PostgreSQL: " + e.getMessage(), e);
        }
    }

    private static void writeHba(java.nio.file.Path dataDir) {
        String hba = String.join("\n", "local all all trust", "host all postgres 127.0.0.1/32 trust",
                "host all postgres ::1/128 trust", "host all all 127.0.0.1/32 md5", "host all all ::1/128 md5", "");
        try {
            java.nio.file.Files.writeString(dataDir.resolve("pg_hba.conf"), hba);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A JDBC URL of another database on this server.
     *
     * @param database the database name
     * @return the URL
     */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://localhost:" + postgres.getPort() + "/" + database;
    }

    /**
     * Creates an application role (no superuser, member of {@code pg_monitor} so it sees every session)
     * owning a database of the same name, as a service's database would be set up.
     *
     * @param role the role and database name (a plain lower-case identifier)
     */
    public void createApplicationDatabase(String role) {
        try (java.sql.Connection c = adminDataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
            st.execute("CREATE ROLE " + role + " LOGIN");
            st.execute("GRANT pg_monitor TO " + role);
            st.execute("CREATE DATABASE " + role + " OWNER " + role);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("could not prepare the embedded database: " + e.getMessage(), e);
        }
        try (java.sql.Connection c = postgres.getDatabase("postgres", role).getConnection();
             java.sql.Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("could not prepare the embedded database: " + e.getMessage(), e);
        }
    }

    /** @return a superuser DataSource on the {@code postgres} database */
    public javax.sql.DataSource adminDataSource() {
        return postgres.getPostgresDatabase();
    }

    /** @return the JDBC URL of the {@code postgres} database */
    public String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres";
    }

    /** @return the TCP port */
    public int port() {
        return postgres.getPort();
    }

    /** @return the superuser name */
    public String user() {
        return "postgres";
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
