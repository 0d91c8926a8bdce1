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
import io.ampora.dbguard.flyway.internal.FlywayReader.Status;
import io.ampora.dbguard.flyway.internal.FlywayReader;
import java.util.List;
import java.util.Objects;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;

/**
 * Runbook 8: "Restoring a backup that does not match the running version". Compares the versions the
 * database holds with the migrations this binary ships. A database newer than the code (Flyway states
 * {@code FUTURE_SUCCESS}/{@code FUTURE_FAILED}, which {@code validate} ignores by default) FAILs: this
 * binary cannot read the newer schema. An older database PASSes with the number of migrations that will
 * apply at startup (WARN with {@code expectNoPending}); a database without history PASSes as empty.
 */
public final class SchemaVersionCheck implements DatabaseCheck {

    private final FlywayGuard config;

    /**
     * @param config where the application's migrations live
     */
    public SchemaVersionCheck(FlywayGuard config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    @Override
    public String id() {
        return "schema-version";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.VERSION_MISMATCH;
    }

    @Override
    public String description() {
        return "The database's migration version against the code's: newer fails, older lists what will apply.";
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        Status status = FlywayReader.read(config, context.connection());
        String codeNewest = status.newestInCode().map(Object::toString).orElse("none");
        int pending = status.pending().size();
        if (!status.historyExists()) {
            String summary = "Empty database (no " + status.historySchema() + "." + config.table() + "): " + pending
                    + " migrations will apply at startup, up to version " + codeNewest + ".";
            if (config.expectNoPending()) {
                return CheckResult.builder(this).status(CheckStatus.WARN).summary(summary)
                        .remediation("The database was expected to be migrated already: check that the application"
                                + " points at the right database and schema, or run the migration job first.")
                        .build();
            }
            return CheckResult.pass(this, summary);
        }
        String dbNewest = status.newestApplied().map(Object::toString).orElse("none");
        List<MigrationInfo> future = status.migrations().stream()
                .filter(m -> m.getState() == MigrationState.FUTURE_SUCCESS || m.getState() == MigrationState.FUTURE_FAILED)
                .toList();
        if (!future.isEmpty()) {
            CheckResult.Builder result = CheckResult.builder(this).status(CheckStatus.FAIL)
                    .summary("The database is at version " + dbNewest + " but this binary knows migrations only up to "
                            + codeNewest + ": this binary cannot read the newer schema.");
            for (MigrationInfo m : future) {
                result.finding(Finding.builder("Version " + m.getVersion() + " (" + m.getDescription() + ", "
                                + m.getScript() + ") is applied in the database but unknown to this binary"
                                + (m.getState() == MigrationState.FUTURE_FAILED ? "; it failed" : "") + ".")
                        .detail("version", m.getVersion().toString())
                        .detail("script", m.getScript())
                        .detail("state", m.getState().name())
                        .detail("installedOn", m.getInstalledOn() == null ? null : m.getInstalledOn().toInstant().toString())
                        .detail("installedBy", m.getInstalledBy())
                        .detail("databaseNewest", dbNewest)
                        .detail("codeNewest", codeNewest)
                        .build());
            }
            return result.remediation("This binary cannot read the newer schema: upgrade the binary to a release that"
                    + " ships version " + dbNewest + ", or restore an older dump taken at version " + codeNewest
                    + " or before. Do not run this binary against this database.").build();
        }
        if (pending > 0) {
            CheckResult.Builder result = CheckResult.builder(this)
                    .status(config.expectNoPending() ? CheckStatus.WARN : CheckStatus.PASS)
                    .summary(pending + " pending migrations will apply at startup: database at version " + dbNewest
                            + ", code at " + codeNewest + ".");
            for (MigrationInfo m : status.pending()) {
                result.finding(Finding.builder("Pending: " + m.getScript())
                        .detail("version", m.getVersion() == null ? null : m.getVersion().toString())
                        .detail("script", m.getScript())
                        .build());
            }
            if (config.expectNoPending()) {
                result.remediation("Migrations were expected to have run before the application starts: run the"
                        + " migration job (flyway migrate) for version " + codeNewest + ", or set expectNoPending(false).");
            }
            return result.build();
        }
        return CheckResult.pass(this, "The database is at version " + dbNewest + ", the code's newest migration.");
    }

    /** Compares this instance's code version with the database's: during a rolling deploy instances differ. */
    @Override
    public CheckScope scope() {
        return CheckScope.INSTANCE;
    }

    @Override
    public CheckCost cost() {
        return CheckCost.NORMAL;
    }
}
