package io.ampora.dbguard.flyway;

import io.ampora.dbguard.flyway.internal.FlywayReader;
import io.ampora.dbguard.flyway.internal.LockRules;
import io.ampora.dbguard.flyway.internal.MigrationRecorder;
import io.ampora.dbguard.flyway.internal.MigrationRules;
import io.ampora.dbguard.flyway.internal.SchemaState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collections;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assertions for a migration test: the application's migrations apply on an empty database, build exactly
 * the committed schema snapshot, and each one is safe to run while the previous release still serves
 * traffic. Works with any DataSource (an embedded or containerised PostgreSQL) and any test framework:
 * failures are {@link AssertionError}s naming the migration file, the object, the reason and the safe pattern.
 *
 * <pre>{@code
 * MigrationAssertions.forLocations("classpath:db/migration")
 *         .allow("V7__drop_legacy_code.sql", MigrationRule.BACKWARD_COMPATIBLE)
 *         .on(dataSource)
 *         .isSafe()
 *         .matchesSnapshot(Path.of("src/test/resources/db/schema.json"));
 * }</pre>
 *
 * <p>{@link #on(DataSource)} applies the migrations one at a time (Flyway {@code target}), reading the
 * catalogs before and after each: a table or column that disappears or changes name keeps its oid and
 * attnum, so renames are told apart from drops, and a rewrite is seen for real as a changed
 * {@code pg_class.relfilenode}.
 */
public final class MigrationAssertions {

    /** The system property that makes {@link MigratedDatabase#matchesSnapshot(Path)} rewrite the file. */
    public static final String UPDATE_PROPERTY = "ampora.snapshot.update";

    /** How long a migration statement may wait for a lock in a test before it is cancelled, by default. */
    public static final Duration DEFAULT_LOCK_WAIT_LIMIT = Duration.ofSeconds(30);

    private final List<String> locations;
    private final String table;
    private final List<String> schemas;
    private final Map<String, Set<MigrationRule>> allowed;
    private final boolean requireLockTimeout;
    private final Duration lockWaitLimit;
    private final TableSizes sizes;
    private final long smallTableRows;

    private MigrationAssertions(List<String> locations, String table, List<String> schemas,
                                Map<String, Set<MigrationRule>> allowed, boolean requireLockTimeout,
                                Duration lockWaitLimit, TableSizes sizes, long smallTableRows) {
        this.locations = List.copyOf(locations);
        this.table = table;
        this.schemas = List.copyOf(schemas);
        this.allowed = Collections.unmodifiableMap(new LinkedHashMap<>(allowed));
        this.requireLockTimeout = requireLockTimeout;
        this.lockWaitLimit = lockWaitLimit;
        this.sizes = sizes;
        this.smallTableRows = smallTableRows;
    }

    /**
     * Starts assertions for the migrations in these Flyway locations.
     *
     * @param locations e.g. {@code classpath:db/migration}, {@code filesystem:src/main/resources/db/migration}
     * @return the assertions
     */
    public static MigrationAssertions forLocations(String... locations) {
        if (locations.length == 0) {
            throw new IllegalArgumentException("forLocations needs at least one Flyway location, e.g. classpath:db/migration");
        }
        return new MigrationAssertions(Arrays.asList(locations), FlywayGuard.DEFAULT_TABLE, List.of(), Map.of(), true,
                DEFAULT_LOCK_WAIT_LIMIT, null, 0);
    }

    /**
     * The history table, when not {@code flyway_schema_history}.
     *
     * @param value the table name
     * @return a copy with that table
     */
    public MigrationAssertions table(String value) {
        return new MigrationAssertions(locations, Objects.requireNonNull(value, "table"), schemas, allowed, requireLockTimeout,
                lockWaitLimit, sizes, smallTableRows);
    }

    /**
     * Flyway {@code schemas}: where the migrations run; also limits what snapshots and rules look at.
     *
     * @param values schema names
     * @return a copy with those schemas
     */
    public MigrationAssertions schemas(String... values) {
        return new MigrationAssertions(locations, table, Arrays.asList(values), allowed, requireLockTimeout, lockWaitLimit,
                sizes, smallTableRows);
    }

    /**
     * Exempts a migration from rules, for a step taken on purpose (the contract step of expand/contract).
     *
     * @param script the file name ({@code V3__drop_legacy.sql}) or the version ({@code 3})
     * @param rules  the rules it may break; none for all of them
     * @return a copy with the exemption
     */
    public MigrationAssertions allow(String script, MigrationRule... rules) {
        Map<String, Set<MigrationRule>> copy = new LinkedHashMap<>(allowed);
        Set<MigrationRule> set = rules.length == 0 ? EnumSet.allOf(MigrationRule.class) : EnumSet.copyOf(Arrays.asList(rules));
        copy.merge(Objects.requireNonNull(script, "script"), set, (a, b) -> {
            Set<MigrationRule> merged = EnumSet.copyOf(a);
            merged.addAll(b);
            return merged;
        });
        return new MigrationAssertions(locations, table, schemas, copy, requireLockTimeout, lockWaitLimit, sizes,
                smallTableRows);
    }

    /**
     * Whether a migration that takes an ACCESS EXCLUSIVE lock on an existing table must set
     * {@code lock_timeout} first ({@link MigrationRule#LOCK_TIMEOUT}, on by default).
     *
     * @param value false to switch the rule off for every migration
     * @return a copy with that policy
     */
    public MigrationAssertions requireLockTimeout(boolean value) {
        return new MigrationAssertions(locations, table, schemas, allowed, value, lockWaitLimit, sizes,
                smallTableRows);
    }

    /**
     * The production row counts ({@code doctor --export-table-sizes FILE}, read with
     * {@link TableSizes#load(java.nio.file.Path)}): a lock, scan or rewrite finding on a table with fewer
     * rows than {@code smallTableRows} becomes a warning ({@link MigratedDatabase#warnings()}) instead of a
     * failure, and every such finding states the table's production size. Compatibility and
     * {@link MigrationRule#LOCK_TIMEOUT} findings are never downgraded: they do not depend on size.
     *
     * @param value          the sizes
     * @param smallTableRows tables below this many rows only warn, e.g. 10000
     * @return a copy with those sizes
     */
    public MigrationAssertions productionSizes(TableSizes value, long smallTableRows) {
        if (smallTableRows < 0) {
            throw new IllegalArgumentException("smallTableRows must be 0 or more, got " + smallTableRows);
        }
        return new MigrationAssertions(locations, table, schemas, allowed, requireLockTimeout, lockWaitLimit,
                Objects.requireNonNull(value, "sizes"), smallTableRows);
    }

    /**
     * How long a migration statement may wait for a lock in the test (default 30 s): then it is cancelled
     * and the migration fails naming the session that blocked it, instead of hanging the build.
     *
     * @param value a positive duration
     * @return a copy with that limit
     */
    public MigrationAssertions lockWaitLimit(Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("lockWaitLimit must be a positive duration, got " + value);
        }
        return new MigrationAssertions(locations, table, schemas, allowed, requireLockTimeout, value, sizes,
                smallTableRows);
    }

    /**
     * Applies every migration, one at a time, to an empty database and records what each one did.
     *
     * @param dataSource an empty database (or empty {@link #schemas(String...)}) the test may write to
     * @return the migrated database to assert on
     * @throws IllegalStateException when the database is not empty
     */
    public MigratedDatabase on(DataSource dataSource) {
        return new MigratedDatabase(this, dataSource);
    }

    private boolean isAllowed(MigrationViolation v, String version) {
        for (Map.Entry<String, Set<MigrationRule>> e : allowed.entrySet()) {
            String key = e.getKey();
            boolean matches = key.equals(v.script()) || v.script().endsWith("/" + key) || key.equals(version);
            if (matches && e.getValue().contains(v.rule())) {
                return true;
            }
        }
        return false;
    }

    /** A database the migrations were applied to, step by step; the assertions read what each step did. */
    public static final class MigratedDatabase {

        private static final Logger LOG = LoggerFactory.getLogger(MigratedDatabase.class);

        private final MigrationAssertions config;
        private final DataSource dataSource;
        private final List<String> applied = new ArrayList<>();
        private final List<MigrationViolation> violations = new ArrayList<>();
        private final List<MigrationRecord> records = new ArrayList<>();
        private final List<MigrationViolation> warnings = new ArrayList<>();
        private String snapshotReport;
        private String failure;

        private MigratedDatabase(MigrationAssertions config, DataSource dataSource) {
            this.config = config;
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            try {
                migrateStepByStep();
            } catch (SQLException e) {
                throw new IllegalStateException("cannot read the catalogs of the test database: " + e.getMessage(), e);
            }
        }

        private FlywayGuard guard() {
            return FlywayGuard.custom().locations(config.locations.toArray(String[]::new)).table(config.table)
                    .schemas(config.schemas.toArray(String[]::new)).build();
        }

        private void migrateStepByStep() throws SQLException {
            SchemaSnapshot start = snapshot();
            if (!start.objects().isEmpty()) {
                throw new IllegalStateException("MigrationAssertions.on(dataSource) needs an empty database"
                        + (config.schemas.isEmpty() ? "" : " (schemas " + config.schemas + ")") + " but found "
                        + start.objects().size() + " objects, e.g. " + start.objects().get(0).label()
                        + "; give the test a fresh database or its own schemas(...)");
            }
            FlywayGuard guard = guard();
            MigrationInfo[] all = FlywayReader.configure(guard, dataSource).load().info().all();
            checkAllowedNamesExist(all);
            List<MigrationInfo> pending = Arrays.stream(all)
                    .filter(m -> m.getVersion() != null && m.getState() == MigrationState.PENDING).toList();
            try (MigrationRecorder recorder = new MigrationRecorder(dataSource, config.lockWaitLimit)) {
                for (MigrationInfo m : pending) {
                    SchemaState before = state();
                    recorder.expect(before.tables().keySet());
                    try {
                        migrating(guard, recorder).target(m.getVersion().getVersion()).load().migrate();
                    } catch (FlywayException e) {
                        failure = m.getScript() + " failed on an empty database after " + applied.size()
                                + " migrations applied: " + explain(m.getScript(), e, recorder.explanation());
                        return;
                    }
                    applied.add(m.getScript());
                    SchemaState after = state();
                    MigrationRecorder.Run run = recorder.finished();
                    Set<Long> rewritten = Set.of();
                    List<MigrationViolation> found = new ArrayList<>();
                    if (run != null) {
                        LockRules.Judgement judgement = LockRules.judge(run, before, after, config.requireLockTimeout);
                        records.add(judgement.record());
                        rewritten = judgement.rewritten();
                        found.addAll(judgement.violations());
                    }
                    found.addAll(0, MigrationRules.judge(m.getScript(), before, after, rewritten));
                    for (MigrationViolation v : found) {
                        if (config.isAllowed(v, m.getVersion().getVersion())) {
                            LOG.info("allowed: {}", v.message());
                        } else {
                            sized(v);
                        }
                    }
                }
                try {
                    migrating(guard, recorder).load().migrate();
                } catch (FlywayException e) {
                    failure = "the repeatable migrations failed after every versioned one applied: "
                            + explain("a repeatable migration", e, recorder.explanation());
                }
            }
        }

        private static final Set<MigrationRule> SIZE_DEPENDENT = EnumSet.of(MigrationRule.NO_TABLE_REWRITE,
                MigrationRule.FOREIGN_KEY_SAFE, MigrationRule.INDEX_CONCURRENTLY, MigrationRule.CONSTRAINT_VALIDATION,
                MigrationRule.SET_NOT_NULL);

        private void sized(MigrationViolation v) {
            Optional<Long> rows = config.sizes == null || !SIZE_DEPENDENT.contains(v.rule()) ? Optional.empty()
                    : config.sizes.of(v.table() != null ? v.table() : v.object());
            if (rows.isEmpty()) {
                violations.add(v);
            } else if (rows.get() < config.smallTableRows) {
                warnings.add(v.withNote("(In production the table holds about " + rows.get() + " rows, under the "
                        + config.smallTableRows + "-row threshold: a warning, not a failure.)"));
            } else {
                violations.add(v.withNote("(In production the table holds about " + rows.get() + " rows.)"));
            }
        }

        /**
         * Flyway for the test's migrations: through the recorder, with callbacks, and with Flyway's lock taken
         * at session level ({@code postgresql.transactional.lock=false}). Flyway's default keeps its advisory
         * lock in a transaction that stays open during the migration, and CREATE INDEX CONCURRENTLY /
         * REINDEX CONCURRENTLY wait for every open transaction: they would wait for Flyway itself.
         */
        private static FluentConfiguration migrating(FlywayGuard guard, MigrationRecorder recorder) {
            FluentConfiguration fc = FlywayReader.configure(guard, recorder.dataSource()).callbacks(recorder);
            fc.getPluginRegister().getPlugin(PostgreSQLConfigurationExtension.class).setTransactionalLock(false);
            return fc;
        }

        private static String explain(String script, FlywayException e, String known) {
            String message = e.getMessage() == null ? e.toString()
                    : e.getMessage().lines().limit(12).collect(Collectors.joining(" | "));
            if (known != null) {
                return known + " (Flyway: " + message + ")";
            }
            if (message.contains("non-transactional")) {
                return script + " mixes statements PostgreSQL runs only outside a transaction (CREATE/DROP INDEX"
                        + " CONCURRENTLY, REINDEX CONCURRENTLY, VACUUM...) with others, so Flyway can run it neither"
                        + " in a transaction nor without one: move the CONCURRENTLY statements to a migration of their"
                        + " own (Flyway then runs it outside a transaction), or add the script configuration file "
                        + script + ".conf with executeInTransaction=false (each statement then commits on its own)."
                        + " Flyway said: " + message;
            }
            return message;
        }

        private void checkAllowedNamesExist(MigrationInfo[] all) {
            for (String key : config.allowed.keySet()) {
                boolean known = Arrays.stream(all).anyMatch(m -> key.equals(m.getScript())
                        || (m.getScript() != null && m.getScript().endsWith("/" + key))
                        || (m.getVersion() != null && key.equals(m.getVersion().getVersion())));
                if (!known) {
                    throw new AssertionError(".allow(\"" + key + "\", ...) names no migration in " + config.locations
                            + ": a stale exemption (renamed or removed migration?) would silently exempt the next file"
                            + " of that name. The migrations are: " + Arrays.stream(all).map(MigrationInfo::getScript)
                            .collect(Collectors.joining(", ")) + ". Remove the exemption or correct its name.");
                }
            }
        }

        private SchemaState state() throws SQLException {
            try (Connection c = dataSource.getConnection()) {
                return SchemaState.read(c, config.schemas, config.table);
            }
        }

        private SchemaSnapshot snapshot() throws SQLException {
            try (Connection c = dataSource.getConnection()) {
                return SchemaSnapshot.read(c, config.schemas, config.table);
            }
        }

        /**
         * Asserts that every migration applied on the empty database.
         *
         * @return this, to chain further assertions
         * @throws AssertionError naming the migration that failed and the database's error
         */
        public MigratedDatabase appliesCleanly() {
            if (failure != null) {
                throw new AssertionError(failure);
            }
            return this;
        }

        /**
         * Asserts that no migration breaks the previous release: no dropped or renamed table or column,
         * no column type change, no NOT NULL column without a default (unless allowed).
         *
         * @return this
         * @throws AssertionError listing each migration file, object, reason and safe pattern
         */
        public MigratedDatabase isBackwardCompatible() {
            return holds(EnumSet.of(MigrationRule.BACKWARD_COMPATIBLE));
        }

        /**
         * Asserts that no migration rewrites an existing table (unless allowed).
         *
         * @return this
         * @throws AssertionError naming the migration, the table and its relfilenode before and after
         */
        public MigratedDatabase rewritesNoTable() {
            return holds(EnumSet.of(MigrationRule.NO_TABLE_REWRITE));
        }

        /**
         * Asserts that every new foreign key has an index and none is validated on an existing table in
         * the step that adds it (unless allowed).
         *
         * @return this
         * @throws AssertionError naming the migration, the constraint and the index to create
         */
        public MigratedDatabase keepsForeignKeysSafe() {
            return holds(EnumSet.of(MigrationRule.FOREIGN_KEY_SAFE));
        }

        /**
         * All of {@link #appliesCleanly()}, {@link #isBackwardCompatible()}, {@link #rewritesNoTable()} and
         * {@link #keepsForeignKeysSafe()}, reported together.
         *
         * @return this
         * @throws AssertionError listing every problem
         */
        public MigratedDatabase isSafe() {
            appliesCleanly();
            return holds(EnumSet.allOf(MigrationRule.class));
        }

        private MigratedDatabase holds(Set<MigrationRule> rules) {
            appliesCleanly();
            List<MigrationViolation> broken = violations.stream().filter(v -> rules.contains(v.rule())).toList();
            if (!broken.isEmpty()) {
                throw new AssertionError(broken.size() + " unsafe migration steps:\n - "
                        + broken.stream().map(MigrationViolation::message).collect(Collectors.joining("\n - ")));
            }
            return this;
        }

        /**
         * Asserts that the migrated schema equals the committed snapshot. With
         * {@code -Dampora.snapshot.update=true} it writes the file instead, as {@link #updateSnapshot(Path)}
         * does, and reports what it wrote or what changed.
         *
         * @param file the committed snapshot, e.g. {@code src/test/resources/db/schema.json}
         * @return this
         * @throws AssertionError listing what differs, or saying how to create a missing file
         */
        public MigratedDatabase matchesSnapshot(Path file) {
            appliesCleanly();
            if (Boolean.getBoolean(UPDATE_PROPERTY)) {
                return updateSnapshot(file);
            }
            SchemaSnapshot actual = schema();
            if (!Files.exists(file)) {
                throw new AssertionError("No schema snapshot at " + file.toAbsolutePath() + ". Create it in one step:"
                        + " run this test once with -D" + UPDATE_PROPERTY + "=true (or call .updateSnapshot(path)); it"
                        + " will write " + summary(actual) + ". Review and commit it; later runs compare with it.");
            }
            SchemaDiff diff = SchemaSnapshot.load(file).diff(actual);
            if (!diff.isEmpty()) {
                throw new AssertionError("The migrations build a schema that differs from " + file + " ("
                        + diff.changes().size() + " differences):\n - " + diff.toString().replace("\n", "\n - ")
                        + "\nIf the migrations changed on purpose, regenerate the snapshot with -D" + UPDATE_PROPERTY
                        + "=true and commit it.");
            }
            return this;
        }

        /**
         * Writes the migrated schema to a snapshot file and says what it did: created (with what), updated
         * (with every difference from the previous file) or unchanged. The report is logged at WARN and kept
         * in {@link #snapshotReport()}.
         *
         * @param file where to write
         * @return this
         */
        public MigratedDatabase updateSnapshot(Path file) {
            appliesCleanly();
            SchemaSnapshot actual = schema();
            if (!Files.exists(file)) {
                snapshotReport = "Created the schema snapshot " + file.toAbsolutePath() + " with " + summary(actual)
                        + ". Review and commit it.";
            } else {
                SchemaDiff diff = SchemaSnapshot.load(file).diff(actual);
                snapshotReport = diff.isEmpty() ? "The schema snapshot " + file.toAbsolutePath() + " is unchanged ("
                        + actual.objects().size() + " objects)."
                        : "Updated the schema snapshot " + file.toAbsolutePath() + " (" + diff.changes().size()
                        + " differences):\n - " + diff.toString().replace("\n", "\n - ") + "\nReview and commit it.";
            }
            actual.write(file);
            LOG.warn("{}", snapshotReport);
            return this;
        }

        /**
         * What the last {@link #updateSnapshot(Path)} (or {@link #matchesSnapshot(Path)} with the update flag)
         * wrote: created with which objects, or updated with which differences, or unchanged.
         *
         * @return the report, empty when no snapshot was written
         */
        public Optional<String> snapshotReport() {
            return Optional.ofNullable(snapshotReport);
        }

        private static String summary(SchemaSnapshot snapshot) {
            Map<String, Long> byType = snapshot.objects().stream().collect(Collectors.groupingBy(
                    SchemaSnapshot.SchemaObject::type, java.util.TreeMap::new, Collectors.counting()));
            return snapshot.objects().size() + " objects (" + byType.entrySet().stream()
                    .map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", ")) + ")";
        }

        /** @return the schema the migrations built */
        public SchemaSnapshot schema() {
            try {
                return snapshot();
            } catch (SQLException e) {
                throw new IllegalStateException("cannot read the migrated schema: " + e.getMessage(), e);
            }
        }

        /** @return the migration files applied, in order */
        public List<String> applied() {
            return List.copyOf(applied);
        }

        /**
         * What each migration really did to the tables that existed before it: lock modes, rows scanned under
         * a lock blocking writes, how long that lock was held, rewrites.
         *
         * @return one record per versioned migration applied, in order
         */
        public List<MigrationRecord> records() {
            return List.copyOf(records);
        }

        /**
         * Findings on tables smaller in production than the threshold of
         * {@link MigrationAssertions#productionSizes(TableSizes, long)}: reported, never failing.
         *
         * @return the downgraded findings, each stating the table's production size
         */
        public List<MigrationViolation> warnings() {
            return List.copyOf(warnings);
        }

        /** @return every rule broken and not allowed, for assertions of one's own */
        public List<MigrationViolation> violations() {
            return List.copyOf(violations);
        }
    }
}
