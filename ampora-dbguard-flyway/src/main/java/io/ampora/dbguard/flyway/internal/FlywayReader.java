package io.ampora.dbguard.flyway.internal;

import io.ampora.dbguard.flyway.FlywayGuard;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.configuration.FluentConfiguration;

/**
 * Reads what Flyway knows (its resolved migrations and the history table) through a check's read-only
 * session, with {@code Flyway.info()}, which neither creates nor locks anything.
 */
public final class FlywayReader {

    private FlywayReader() {
    }

    /**
     * What Flyway reports for the configured locations and history table.
     *
     * @param migrations      every migration, resolved or applied, in Flyway's order
     * @param historySchema   the schema holding the history table
     * @param historyExists   whether the history table exists
     */
    public record Status(List<MigrationInfo> migrations, String historySchema, boolean historyExists) {

        /** @return the newest version among the code's (resolved) migrations, if any */
        public Optional<MigrationVersion> newestInCode() {
            return migrations.stream().filter(m -> m.getVersion() != null && m.getState().isResolved())
                    .map(MigrationInfo::getVersion).max(MigrationVersion::compareTo);
        }

        /** @return the newest version applied in the database, if any */
        public Optional<MigrationVersion> newestApplied() {
            return migrations.stream().filter(m -> m.getVersion() != null && m.getState().isApplied())
                    .map(MigrationInfo::getVersion).max(MigrationVersion::compareTo);
        }

        /** @return the migrations that {@code migrate} would apply */
        public List<MigrationInfo> pending() {
            return migrations.stream().filter(m -> m.getState() == org.flywaydb.core.api.MigrationState.PENDING
                    || m.getState() == org.flywaydb.core.api.MigrationState.OUTDATED).toList();
        }
    }

    /**
     * A Flyway configuration for the guard's locations, table and schemas on a DataSource.
     *
     * @param config     the guard's configuration
     * @param dataSource where Flyway connects
     * @return the configuration, not loaded
     */
    public static FluentConfiguration configure(FlywayGuard config, DataSource dataSource) {
        FluentConfiguration fc = Flyway.configure()
                .dataSource(dataSource)
                .locations(config.locations().toArray(String[]::new))
                .table(config.table())
                .failOnMissingLocations(true)
                .cleanDisabled(true);
        if (!config.schemas().isEmpty()) {
            fc = fc.schemas(config.schemas().toArray(String[]::new));
        }
        return fc;
    }

    /**
     * Runs {@code info()} on the session.
     *
     * @param config  the guard's configuration
     * @param session the check's read-only session
     * @return the status
     * @throws SQLException when the catalogs cannot be read
     */
    public static Status read(FlywayGuard config, Connection session) throws SQLException {
        String schema = historySchema(config, session);
        boolean exists = tableExists(session, schema, config.table());
        FluentConfiguration fc = configure(config, new SessionDataSource(session));
        if (config.flywayLogging()) {
            return new Status(Arrays.asList(fc.load().info().all()), schema, exists);
        }
        // its INFO lines on every run at DEBUG, on this thread only: the creator becomes Flyway's global one
        FluentConfiguration quiet = fc.loggers(QuietFlywayLogCreator.class.getName());
        try {
            return new Status(Arrays.asList(QuietFlywayLogCreator.quietly(() -> quiet.load().info().all())), schema, exists);
        } catch (SQLException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The schema of the history table: Flyway's first schema, else the session's current schema.
     *
     * @param config  the configuration
     * @param session a session
     * @return the schema name
     * @throws SQLException when it cannot be read
     */
    public static String historySchema(FlywayGuard config, Connection session) throws SQLException {
        if (!config.schemas().isEmpty()) {
            return config.schemas().get(0);
        }
        try (PreparedStatement ps = session.prepareStatement("SELECT pg_catalog.current_schema()");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return Objects.requireNonNullElse(rs.getString(1), "public");
        }
    }

    private static boolean tableExists(Connection session, String schema, String table) throws SQLException {
        try (PreparedStatement ps = session.prepareStatement(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p'))")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /**
     * Flyway's advisory lock key for a history table, as {@code PostgreSQLAdvisoryLockTemplate} computes
     * it: {@code 0x466C79776179 + table.toString().hashCode()}, where the table prints as
     * {@code "schema"."table"} with inner double quotes doubled (flyway-database-postgresql 13.12.1).
     *
     * @param schema the history table's schema
     * @param table  the history table
     * @return the bigint key of {@code pg_try_advisory_lock} / {@code pg_try_advisory_xact_lock}
     */
    public static long lockKey(String schema, String table) {
        String quoted = "\"" + schema.replace("\"", "\"\"") + "\".\"" + table.replace("\"", "\"\"") + "\"";
        return 0x466C79776179L + quoted.hashCode();
    }
}
