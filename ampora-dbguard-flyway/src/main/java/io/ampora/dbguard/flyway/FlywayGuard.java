package io.ampora.dbguard.flyway;

import io.ampora.dbguard.DbGuardConfigurationException;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.flyway.check.MigrationLockCheck;
import io.ampora.dbguard.flyway.check.MigrationPermissionsCheck;
import io.ampora.dbguard.flyway.check.MigrationStateCheck;
import io.ampora.dbguard.flyway.check.SchemaDriftCheck;
import io.ampora.dbguard.flyway.check.SchemaVersionCheck;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Where the application's Flyway migrations live and how it runs them, and the checks bound to that:
 * {@code schema-version}, {@code migration-state}, {@code migration-permissions}, {@code migration-lock}
 * and {@code schema-drift} (runbook sections 2 and 8).
 *
 * <p>These checks need to know the application's migrations, so they are not discovered through
 * {@link java.util.ServiceLoader}: build a guard and add its checks.
 *
 * <pre>{@code
 * FlywayGuard flyway = FlywayGuard.custom()
 *         .locations("classpath:db/migration")
 *         .schemaSnapshot(Path.of("src/main/resources/db/schema.json"))
 *         .build();
 * DbGuard.Builder guard = DbGuard.builder().dataSource(dataSource);
 * flyway.checks().forEach(guard::addCheck);
 * guard.build().verifyOrFail();   // before flyway.migrate()
 * }</pre>
 *
 * <p>The checks read through the guard's read-only session: Flyway's {@code info()} runs on it (Flyway
 * is handed a DataSource that returns that session and ignores Flyway's attempts to commit, end the
 * transaction or close it), so nothing is created, locked or written.
 *
 * @param locations        Flyway locations, e.g. {@code classpath:db/migration}, {@code filesystem:/opt/app/sql}
 * @param table            the schema history table, {@code flyway_schema_history} by default
 * @param schemas          Flyway {@code schemas}; the first holds the history table; empty for the
 *                         session's current schema
 * @param expectNoPending  whether pending migrations are unexpected (the database should already be
 *                         migrated, e.g. when a separate job migrates): {@code schema-version} then warns
 * @param schemaSnapshot   the committed snapshot file {@code schema-drift} compares with
 * @param schemaSnapshotResource the same as a classpath resource (for a snapshot shipped in the jar);
 *                         with neither, {@code schema-drift} is skipped
 * @param migrationRole    the role that runs migrations when it is not the application's own
 *                         ({@code current_user}); {@code migration-permissions} checks that role
 * @param flywayLogging    whether the checks let Flyway log through its own loggers (its INFO lines on every
 *                         run); by default they pass only its warnings and errors on, and the rest at DEBUG
 */
public record FlywayGuard(
        List<String> locations,
        String table,
        List<String> schemas,
        boolean expectNoPending,
        Optional<Path> schemaSnapshot,
        Optional<String> schemaSnapshotResource,
        Optional<String> migrationRole,
        boolean flywayLogging) {

    /** Flyway's default history table. */
    public static final String DEFAULT_TABLE = "flyway_schema_history";

    /** Freezes the lists. */
    public FlywayGuard {
        locations = List.copyOf(locations);
        schemas = List.copyOf(schemas);
    }

    /**
     * The configuration as it was before {@code flywayLogging} existed: Flyway's INFO lines kept out.
     *
     * @param locations              Flyway locations
     * @param table                  the schema history table
     * @param schemas                Flyway schemas
     * @param expectNoPending        whether pending migrations are unexpected
     * @param schemaSnapshot         the committed snapshot file
     * @param schemaSnapshotResource the committed snapshot as a classpath resource
     * @param migrationRole          the migrating role
     */
    public FlywayGuard(List<String> locations, String table, List<String> schemas, boolean expectNoPending,
                       Optional<Path> schemaSnapshot, Optional<String> schemaSnapshotResource,
                       Optional<String> migrationRole) {
        this(locations, table, schemas, expectNoPending, schemaSnapshot, schemaSnapshotResource, migrationRole, false);
    }

    /**
     * Starts a configuration.
     *
     * @return a builder
     */
    public static Builder custom() {
        return new Builder();
    }

    /**
     * The configuration for migrations in these locations, everything else at Flyway's defaults.
     *
     * @param locations Flyway locations
     * @return the configuration
     */
    public static FlywayGuard ofLocations(String... locations) {
        return custom().locations(locations).build();
    }

    /**
     * The five checks bound to this configuration, to pass to {@code DbGuard.builder().addCheck(...)}.
     *
     * @return {@code schema-version}, {@code migration-state}, {@code migration-permissions},
     *         {@code migration-lock}, {@code schema-drift}
     */
    public List<DatabaseCheck> checks() {
        return List.of(new SchemaVersionCheck(this), new MigrationStateCheck(this), new MigrationPermissionsCheck(this),
                new MigrationLockCheck(this), new SchemaDriftCheck(this));
    }

    /**
     * A runner for {@code migrate()} in production that gives up on a lock after {@code lock_timeout}
     * (5 s by default) instead of queueing every query on the table behind the migration, retries with a
     * growing pause, and names the blocking sessions; see {@link SafeMigrator}. Opt-in: call it instead of
     * {@code flyway.migrate()}, after {@code verifyOrFail()}.
     *
     * @return a migrator with the defaults (lock_timeout 5 s, 3 retries, 2 s backoff doubling)
     */
    public SafeMigrator safeMigrator() {
        return new SafeMigrator(this);
    }

    /** Builds a {@link FlywayGuard}; {@link #build()} validates it. */
    public static final class Builder {
        private final List<String> locations = new ArrayList<>();
        private String table = DEFAULT_TABLE;
        private final List<String> schemas = new ArrayList<>();
        private boolean expectNoPending;
        private Path schemaSnapshot;
        private String schemaSnapshotResource;
        private String migrationRole;
        private boolean flywayLogging;

        private Builder() {
        }

        /**
         * Flyway locations, as in Flyway's {@code locations}: {@code classpath:db/migration},
         * {@code filesystem:/opt/app/sql}; a location without prefix is on the classpath.
         *
         * @param values one or more locations
         * @return this builder
         */
        public Builder locations(String... values) {
            locations.addAll(Arrays.asList(values));
            return this;
        }

        /**
         * The schema history table (Flyway's {@code table}).
         *
         * @param value the table name, unquoted
         * @return this builder
         */
        public Builder table(String value) {
            this.table = value;
            return this;
        }

        /**
         * Flyway's {@code schemas}: where migrations run; the first holds the history table.
         *
         * @param values schema names, unquoted
         * @return this builder
         */
        public Builder schemas(String... values) {
            schemas.addAll(Arrays.asList(values));
            return this;
        }

        /**
         * Whether pending migrations are unexpected (another job migrates before the application starts).
         *
         * @param value {@code true} to make {@code schema-version} warn about pending migrations
         * @return this builder
         */
        public Builder expectNoPending(boolean value) {
            this.expectNoPending = value;
            return this;
        }

        /**
         * The committed schema snapshot that {@code schema-drift} compares the live schema with.
         *
         * @param value a file written by {@link SchemaSnapshot#write(Path)}
         * @return this builder
         */
        public Builder schemaSnapshot(Path value) {
            this.schemaSnapshot = value;
            return this;
        }

        /**
         * The committed schema snapshot as a classpath resource, for applications that ship it in their jar.
         *
         * @param value a resource name such as {@code db/schema.json}
         * @return this builder
         */
        public Builder schemaSnapshotResource(String value) {
            this.schemaSnapshotResource = value;
            return this;
        }

        /**
         * The role that runs migrations, when it is not the application's session role.
         *
         * @param value the role name, unquoted
         * @return this builder
         */
        public Builder migrationRole(String value) {
            this.migrationRole = value;
            return this;
        }

        /**
         * Whether the checks let Flyway log as it does in a migration ({@code Database: ...},
         * {@code Environment: ...}: a dozen INFO lines per monitor run). Default {@code false}: the checks
         * hand Flyway's warnings and errors to SLF4J under Flyway's own logger names and the rest at DEBUG,
         * so {@code org.flywaydb} at DEBUG in your logging configuration shows them too.
         *
         * <p>Flyway's logger choice is process-wide: it follows the last Flyway instance created. Create
         * your own {@code Flyway} (for {@code migrate()}) after {@code verifyOrFail()}, as the README shows,
         * and its logging is unaffected.
         *
         * @param value {@code true} to keep Flyway's own logging in the guard's runs
         * @return this builder
         */
        public Builder flywayLogging(boolean value) {
            this.flywayLogging = value;
            return this;
        }

        /**
         * Validates and builds the configuration.
         *
         * @return the configuration
         * @throws DbGuardConfigurationException naming the wrong setting and what is allowed
         */
        public FlywayGuard build() {
            if (locations.isEmpty()) {
                throw new DbGuardConfigurationException("FlywayGuard needs locations(...): where the application's"
                        + " migrations live, as Flyway writes them, e.g. classpath:db/migration or filesystem:/opt/app/sql");
            }
            for (String location : locations) {
                if (location == null || location.isBlank()) {
                    throw new DbGuardConfigurationException("FlywayGuard location must not be blank; got " + locations);
                }
                int colon = location.indexOf(':');
                if (colon > 0 && !location.startsWith("classpath:") && !location.startsWith("filesystem:")) {
                    throw new DbGuardConfigurationException("FlywayGuard location '" + location
                            + "' has an unsupported prefix; use classpath:PATH or filesystem:PATH");
                }
            }
            if (table == null || table.isBlank()) {
                throw new DbGuardConfigurationException("FlywayGuard table must name the schema history table;"
                        + " Flyway's default is " + DEFAULT_TABLE);
            }
            for (String schema : schemas) {
                if (schema == null || schema.isBlank()) {
                    throw new DbGuardConfigurationException("FlywayGuard schemas must not contain blank names; got " + schemas);
                }
            }
            if (migrationRole != null && migrationRole.isBlank()) {
                throw new DbGuardConfigurationException("FlywayGuard migrationRole must not be blank; leave it unset"
                        + " to check the session's own role");
            }
            if (schemaSnapshot != null && schemaSnapshotResource != null) {
                throw new DbGuardConfigurationException("FlywayGuard takes schemaSnapshot(path) or"
                        + " schemaSnapshotResource(name), not both");
            }
            return new FlywayGuard(locations, table, schemas, expectNoPending, Optional.ofNullable(schemaSnapshot),
                    Optional.ofNullable(schemaSnapshotResource), Optional.ofNullable(migrationRole), flywayLogging);
        }
    }
}
