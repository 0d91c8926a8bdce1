package io.ampora.dbguard.examples.demo;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.examples.doctor.EmbeddedDatabase;
import io.ampora.dbguard.flyway.FlywayGuard;
import io.ampora.dbguard.flyway.SchemaSnapshot;
import io.ampora.dbguard.runbook.disk.DiskSpace;
import io.ampora.dbguard.runbook.disk.DiskSpaceProvider;
import io.ampora.dbguard.runbook.disk.DiskUsageCheck;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The demo's world: an embedded PostgreSQL with password authentication, the demo database
 * {@value #DATABASE} owned by the migrating role {@value #OWNER_ROLE} and migrated with the demo's Flyway
 * migrations ({@value #MIGRATIONS}), the application role {@value #APP_ROLE} that only gets DML (never
 * ownership, so FORCE ROW LEVEL SECURITY and the policies apply to it), two tenants with a few orders,
 * a schema snapshot taken right after migrating, and helpers to open sessions that hold things and to
 * build guards configured as the application configures its own.
 */
public final class DemoEnvironment implements AutoCloseable {

    /** The application's own role: DML only, subject to RLS. */
    public static final String APP_ROLE = "ampora_app";
    /** The role that owns the schema and runs the migrations. */
    public static final String OWNER_ROLE = "ampora_owner";
    /** The application's application_name. */
    public static final String APP_NAME = "ampora-demo";
    /** The demo database. */
    public static final String DATABASE = "ampora";
    /** Where the demo's migrations live. */
    public static final String MIGRATIONS = "classpath:db/migration";
    /**
     * The demo database's volume: a simulated quota of this size (the embedded server shares the machine's
     * disk, which a 50 MB table cannot fill), measured by a {@link DiskSpaceProvider} that subtracts the
     * database's size, as a cloud provider's API reports a managed database's storage.
     */
    public static final long VOLUME_BYTES = 64L * 1024 * 1024;
    /** The first demo tenant. */
    public static final String TENANT_A = "11111111-1111-4111-8111-111111111111";
    /** The second demo tenant. */
    public static final String TENANT_B = "22222222-2222-4222-8222-222222222222";

    private final EmbeddedDatabase database;
    private final String appPassword;
    private final String ownerPassword;
    private final Path snapshot;
    private final List<Connection> sessions = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    private DemoEnvironment(EmbeddedDatabase database, String appPassword, String ownerPassword, Path snapshot) {
        this.database = database;
        this.appPassword = appPassword;
        this.ownerPassword = ownerPassword;
        this.snapshot = snapshot;
    }

    /**
     * Starts the embedded database, creates the roles and the demo database, migrates it and seeds it.
     *
     * @return the environment
     * @throws SQLException when setup fails
     */
    public static DemoEnvironment start() throws SQLException {
        // two-phase commit and WAL archiving for the prepared-transaction and failing-archiver scenarios;
        // archive_command is set with ALTER SYSTEM so a scenario can break it (the command line would win)
        EmbeddedDatabase db = EmbeddedDatabase.start(true, Map.of("max_prepared_transactions", "5", "archive_mode", "on"));
        try {
            String appPassword = randomPassword();
            String ownerPassword = randomPassword();
            try (Connection c = db.adminDataSource().getConnection(); Statement st = c.createStatement()) {
                st.execute("CREATE ROLE " + OWNER_ROLE + " LOGIN PASSWORD '" + ownerPassword + "'");
                st.execute("CREATE ROLE " + APP_ROLE + " LOGIN PASSWORD '" + appPassword + "'");
                st.execute("CREATE DATABASE " + DATABASE + " OWNER " + OWNER_ROLE);
            }
            try (Connection c = superuser(db); Statement st = c.createStatement()) {
                // what a DBA sets up once: the owner creates, the application reads and writes what the owner creates
                st.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
                st.execute("ALTER SCHEMA public OWNER TO " + OWNER_ROLE);
                st.execute("GRANT USAGE ON SCHEMA public TO " + APP_ROLE);
                st.execute("ALTER DEFAULT PRIVILEGES FOR ROLE " + OWNER_ROLE
                        + " IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO " + APP_ROLE);
                st.execute("ALTER DEFAULT PRIVILEGES FOR ROLE " + OWNER_ROLE
                        + " IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO " + APP_ROLE);
                st.execute("GRANT pg_monitor TO " + APP_ROLE);   // pg_read_all_stats and pg_ls_waldir(): what the checks read
                st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
                // 'true' stands in for a working archive (the tests of wal-archiving copy for real)
                st.execute("ALTER SYSTEM SET archive_command = 'true'");
                st.execute("SELECT pg_catalog.pg_reload_conf()");
            }
            DemoEnvironment env = new DemoEnvironment(db, appPassword, ownerPassword, Files.createTempFile("ampora-demo-schema", ".json"));
            env.migrate();
            try (Connection c = superuser(db)) {
                SchemaSnapshot.read(c, List.of("public"), FlywayGuard.DEFAULT_TABLE).write(env.snapshot);
            }
            env.admin("INSERT INTO tenants (id, name) VALUES ('" + TENANT_A + "', 'Acme'), ('" + TENANT_B + "', 'Globex');"
                    + "INSERT INTO orders (tenant_id, customer, total_cents, attributes) VALUES"
                    + " ('" + TENANT_A + "', 'Ada', 1200, '{\"channel\": \"web\"}'),"
                    + " ('" + TENANT_A + "', 'Alan', 4500, '{\"channel\": \"phone\"}'),"
                    + " ('" + TENANT_B + "', 'Grace', 990, '{\"channel\": \"web\"}')");
            return env;
        } catch (IOException e) {
            db.close();
            throw new UncheckedIOException(e);
        } catch (SQLException | RuntimeException e) {
            db.close();
            throw e;
        }
    }

    private static Connection superuser(EmbeddedDatabase db) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        return new org.postgresql.Driver().connect(db.jdbcUrl(DATABASE), p);
    }

    private static String randomPassword() {
        byte[] bytes = new byte[12];
        new SecureRandom().nextBytes(bytes);
        return "demo-" + HexFormat.of().formatHex(bytes);
    }

    /** Applies the demo migrations as the owner role (Flyway, as the application does at startup). */
    public void migrate() {
        Flyway.configure().dataSource(jdbcUrl(), OWNER_ROLE, ownerPassword).locations(MIGRATIONS).load().migrate();
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

    /** @return the owner (migrating) role's password (never printed) */
    public String ownerPassword() {
        return ownerPassword;
    }

    /** @return the schema snapshot taken right after the migrations applied */
    public Path snapshot() {
        return snapshot;
    }

    /** @return a DataSource for the application role (no pool) */
    public DataSource appDataSource() {
        return dataSource(APP_ROLE, appPassword);
    }

    /** @return a DataSource for the owner role (no pool) */
    public DataSource ownerDataSource() {
        return dataSource(OWNER_ROLE, ownerPassword);
    }

    private DataSource dataSource(String user, String password) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(jdbcUrl());
        ds.setUser(user);
        ds.setPassword(password);
        ds.setApplicationName(APP_NAME);
        return ds;
    }

    /**
     * The Flyway configuration the application runs its guard with: the demo migrations, migrated by the
     * owner role, the snapshot for drift.
     *
     * @return the Flyway guard builder, to adjust
     */
    public FlywayGuard.Builder flyway() {
        return FlywayGuard.custom().locations(MIGRATIONS).migrationRole(OWNER_ROLE).schemaSnapshot(snapshot);
    }

    /** @return a guard builder connected as the application, as a service would configure it */
    public DbGuard.Builder guardAsApp() {
        return guardAsApp(flyway().build());
    }

    /**
     * @param flyway the Flyway configuration whose checks the guard runs
     * @return a guard builder connected as the application, as a service would configure it
     */
    public DbGuard.Builder guardAsApp(FlywayGuard flyway) {
        DbGuard.Builder builder = DbGuard.builder().jdbcUrl(jdbcUrl()).user(APP_ROLE).password(appPassword)
                .applicationName(APP_NAME);
        flyway.checks().forEach(builder::addCheck);
        builder.addCheck(new DiskUsageCheck(this::volume));
        return builder;
    }

    /**
     * The demo volume: {@link #VOLUME_BYTES} minus the demo database's size.
     *
     * @return free and total bytes
     * @throws IOException when the size cannot be read
     */
    public DiskSpace volume() throws IOException {
        try {
            long used = Long.parseLong(adminQuery("SELECT pg_catalog.pg_database_size(current_database())"));
            return new DiskSpace(Math.max(0, VOLUME_BYTES - used), VOLUME_BYTES);
        } catch (SQLException e) {
            throw new IOException("cannot read the database size: " + e.getMessage(), e);
        }
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
        try (Connection c = superuser(database); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /**
     * Runs a query returning one value as the superuser on the demo database.
     *
     * @param sql the query
     * @return the first column of the first row as text, null without a row
     * @throws SQLException when it fails
     */
    public String adminQuery(String sql) throws SQLException {
        try (Connection c = superuser(database); Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /**
     * Waits until the cumulative statistics show a table's counter at least at a value: sessions report
     * their counts asynchronously (PostgreSQL 15+: at most once a second, and when they exit), so a
     * VACUUM or ANALYZE that runs before they arrive is undone by counts that land afterwards.
     *
     * @param table   the table in {@code public}
     * @param counter a {@code pg_stat_user_tables} column, e.g. {@code n_dead_tup}
     * @param atLeast the value to wait for
     * @throws SQLException when the statistics cannot be read
     */
    public void awaitTableStats(String table, String counter, long atLeast) throws SQLException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(15);
        String sql = "SELECT " + counter + " FROM pg_catalog.pg_stat_user_tables WHERE schemaname = 'public' AND relname = '"
                + table + "'";
        while (System.nanoTime() < deadline) {
            String value = adminQuery(sql);
            if (value != null && Long.parseLong(value) >= atLeast) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Records what the application itself saw during a scenario (an exception, a query result), printed
     * above the guard's report.
     *
     * @param line one line
     */
    public synchronized void note(String line) {
        notes.add(line);
    }

    /** @return the notes recorded since the last call, and forgets them */
    public synchronized List<String> takeNotes() {
        List<String> copy = List.copyOf(notes);
        notes.clear();
        return copy;
    }

    /**
     * Waits (up to 10 s) until no session with this application_name is left: a closed connection's backend exits a
     * moment later, and a scenario that took every slot must give them back before the next one connects.
     *
     * @param applicationName the sessions' application_name
     * @throws SQLException when pg_stat_activity cannot be read
     */
    public void awaitSessionsGone(String applicationName) throws SQLException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        String sql = "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + applicationName.replace("'", "''") + "'";
        while (!"0".equals(adminQuery(sql)) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
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
        try {
            Files.deleteIfExists(snapshot);
        } catch (IOException e) {
            // a temporary file
        }
        database.close();
    }
}
