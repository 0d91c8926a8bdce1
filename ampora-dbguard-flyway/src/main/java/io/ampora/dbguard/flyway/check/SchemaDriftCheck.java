package io.ampora.dbguard.flyway.check;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.flyway.FlywayGuard;
import io.ampora.dbguard.flyway.SchemaDiff;
import io.ampora.dbguard.flyway.SchemaSnapshot;
import io.ampora.dbguard.flyway.internal.FlywayReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Runbook 2: "relation ... already exists" after manual schema changes. Compares the live schema with the
 * committed {@link SchemaSnapshot} of what the migrations build and lists what was added, removed or
 * changed by hand. SKIPs without a configured snapshot, and while migrations are pending or the database
 * is newer than the code (the snapshot describes the code's newest version only).
 */
public final class SchemaDriftCheck implements DatabaseCheck {

    private static final int MAX_FINDINGS = 50;
    private static final String WRITE_IT = "Write the snapshot from a freshly migrated database: the migration test's"
            + " MigrationAssertions...matchesSnapshot(path) with -Dampora.snapshot.update=true, or"
            + " SchemaSnapshot.read(connection, schemas, table).write(path); or configure the file it wrote with"
            + " FlywayGuard.custom().schemaSnapshot(Path) / schemaSnapshotResource(name).";

    private final FlywayGuard config;

    /**
     * @param config the migrations and the committed snapshot
     */
    public SchemaDriftCheck(FlywayGuard config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    @Override
    public String id() {
        return "schema-drift";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.CANNOT_MIGRATE;
    }

    @Override
    public String description() {
        return "Objects added, removed or changed by hand, against the committed schema snapshot.";
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        if (config.schemaSnapshot().isEmpty() && config.schemaSnapshotResource().isEmpty()) {
            return CheckResult.skip(this, "No schema snapshot configured: pass FlywayGuard.custom().schemaSnapshot(path)"
                    + " with a file written by SchemaSnapshot.write (MigrationAssertions.matchesSnapshot writes it).");
        }
        String source = config.schemaSnapshot().map(p -> p.getFileName().toString())
                .orElseGet(() -> config.schemaSnapshotResource().orElseThrow());
        Path file = config.schemaSnapshot().orElse(null);
        String resource = config.schemaSnapshotResource().map(SchemaDriftCheck::relative).orElse(null);
        // A configured snapshot that is not there is a configuration error, not drift and not a broken check.
        // SKIP, not FAIL: drift itself only warns, so its missing input must not stop a service's startup.
        if (file != null && !Files.exists(file)) {
            return CheckResult.builder(this).status(CheckStatus.SKIP)
                    .summary("The schema snapshot " + file.toAbsolutePath() + " does not exist (working directory "
                            + Path.of("").toAbsolutePath() + "), so schema-drift compares nothing.")
                    .remediation(WRITE_IT)
                    .build();
        }
        if (file != null && !Files.isReadable(file)) {
            return CheckResult.unknown(this, "The schema snapshot " + file.toAbsolutePath() + " cannot be read.");
        }
        if (resource != null && SchemaSnapshot.resourceUrl(resource).isEmpty()) {
            return missingResource(resource);
        }
        FlywayReader.Status status = FlywayReader.read(config, context.connection());
        if (!status.pending().isEmpty() || status.migrations().stream().anyMatch(m -> m.getState().name().startsWith("FUTURE"))) {
            return CheckResult.skip(this, "The database is not at the code's newest version ("
                    + status.newestApplied().map(Object::toString).orElse("none") + " vs "
                    + status.newestInCode().map(Object::toString).orElse("none")
                    + "): drift is compared once migrations have applied.");
        }
        SchemaSnapshot expected;
        try {
            expected = file != null ? SchemaSnapshot.load(file) : SchemaSnapshot.loadResource(resource);
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            return CheckResult.builder(this).status(CheckStatus.UNKNOWN)
                    .summary("The schema snapshot " + (file != null ? file.toAbsolutePath().toString()
                            : "resource '" + resource + "'") + " cannot be used: " + e.getMessage() + ".")
                    .remediation(WRITE_IT)
                    .build();
        }
        SchemaSnapshot actual = SchemaSnapshot.read(context.connection(), config.schemas(), config.table());
        SchemaDiff diff = expected.diff(actual);
        if (diff.isEmpty()) {
            return CheckResult.pass(this, "The schema matches the snapshot " + source + " ("
                    + expected.objects().size() + " objects).");
        }
        CheckResult.Builder result = CheckResult.builder(this).status(CheckStatus.WARN)
                .summary(diff.changes().size() + " differences from the snapshot " + source
                        + ": the schema was changed outside the migrations.");
        diff.changes().stream().limit(MAX_FINDINGS).forEach(change -> result.finding(
                Finding.builder(capitalise(change.describe()) + ".")
                        .detail("change", change.kind().name())
                        .detail("type", change.type())
                        .detail("name", change.name())
                        .build()));
        return result.remediation("Manual changes make later migrations fail (\"relation already exists\") or build a"
                        + " different schema than tested. Either turn each change into a migration, or undo it (drop what"
                        + " was added by hand, restore what was removed); if the snapshot is stale, regenerate it from a"
                        + " freshly migrated database (-Dampora.snapshot.update=true in the migration test).")
                .build();
    }

    private CheckResult missingResource(String resource) {
        Path test = Path.of("src/test/resources").resolve(resource);
        Path main = Path.of("src/main/resources").resolve(resource);
        return CheckResult.builder(this).status(CheckStatus.SKIP)
                .summary("The schema snapshot resource '" + resource + "' is not on the classpath (looked up through"
                        + " the thread's context class loader and the library's), so schema-drift compares nothing."
                        + " The README's migration test (MigrationAssertions.matchesSnapshot) writes it to "
                        + unix(test) + ", which only tests see"
                        + (Files.exists(test) ? " (it is there: " + test.toAbsolutePath() + ")" : "")
                        + "; the application finds it under " + unix(main) + ".")
                .remediation("Ship the snapshot with the application: write it to " + unix(main)
                        + " (matchesSnapshot(Path.of(\"" + unix(main) + "\")) in the migration test), or point the"
                        + " guard at the file with FlywayGuard.custom().schemaSnapshot(Path.of(...)), or leave"
                        + " schemaSnapshotResource out to turn schema-drift off.")
                .build();
    }

    private static String relative(String resource) {
        return resource.startsWith("/") ? resource.substring(1) : resource;
    }

    private static String unix(Path path) {
        return path.toString().replace('\\', '/');
    }

    private static String capitalise(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    /** Compares this instance's snapshot with the live schema (a catalog scan): instances may ship different snapshots. */
    @Override
    public CheckScope scope() {
        return CheckScope.INSTANCE;
    }

    @Override
    public CheckCost cost() {
        return CheckCost.EXPENSIVE;
    }
}
