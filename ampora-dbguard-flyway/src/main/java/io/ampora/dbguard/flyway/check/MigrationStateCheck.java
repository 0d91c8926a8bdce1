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
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;

/**
 * Runbook 2: "Cannot migrate". Finds what makes {@code flyway migrate} refuse to run before it runs:
 * failed migrations, applied scripts edited since (checksum mismatch), applied migrations missing from
 * the code and new migrations older than the database's newest (ignored unless {@code outOfOrder}).
 * Each finding names the version and script and what to do.
 */
public final class MigrationStateCheck implements DatabaseCheck {

    private final FlywayGuard config;

    /**
     * @param config where the application's migrations live
     */
    public MigrationStateCheck(FlywayGuard config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    @Override
    public String id() {
        return "migration-state";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.CANNOT_MIGRATE;
    }

    @Override
    public String description() {
        return "Failed, edited (checksum mismatch), missing and out-of-order migrations that stop flyway migrate.";
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        Status status = FlywayReader.read(config, context.connection());
        if (!status.historyExists()) {
            return CheckResult.skip(this, "No " + status.historySchema() + "." + config.table()
                    + " yet: nothing has been applied, so nothing can be in a bad state.");
        }
        CheckResult.Builder result = CheckResult.builder(this);
        Set<String> todo = new LinkedHashSet<>();
        int outOfOrder = 0;
        for (MigrationInfo m : status.migrations()) {
            MigrationState state = m.getState();
            String name = label(m);
            if (state.isFailed()) {
                result.atLeast(CheckStatus.FAIL).finding(finding(m, name + " failed and left a failed row in "
                        + config.table() + "; flyway migrate refuses to run until it is repaired."));
                todo.add("For a failed migration: undo whatever part of " + m.getScript() + " did apply (a"
                        + " non-transactional migration may be half done), then run flyway repair to remove the failed"
                        + " row, fix the script and migrate again.");
            } else if (state.isApplied() && state.isResolved() && m.getVersion() != null && !m.isChecksumMatching()) {
                result.atLeast(CheckStatus.FAIL).finding(Finding.builder(name + " was edited after it was applied:"
                                + " checksum " + m.getAppliedChecksum() + " in the database, " + m.getResolvedChecksum()
                                + " in the code; flyway validate fails.")
                        .detail("version", m.getVersion().toString())
                        .detail("script", m.getScript())
                        .detail("appliedChecksum", m.getAppliedChecksum())
                        .detail("resolvedChecksum", m.getResolvedChecksum())
                        .build());
                todo.add("For an edited script: restore " + m.getScript() + " to the version that was applied and put"
                        + " the change in a new migration; only if the edit is cosmetic, run flyway repair to accept the"
                        + " new checksum.");
            } else if (state == MigrationState.MISSING_SUCCESS || state == MigrationState.MISSING_FAILED) {
                result.atLeast(CheckStatus.FAIL).finding(finding(m, name + " is applied in the database but missing"
                        + " from the code (" + String.join(", ", config.locations()) + ")."));
                todo.add("For a missing migration: restore " + m.getScript() + " in the code (a deleted or renamed"
                        + " file, or a wrong location), or, if it was removed on purpose, run flyway repair to mark it deleted.");
            } else if (state == MigrationState.IGNORED) {
                result.atLeast(CheckStatus.FAIL).finding(finding(m, name + " is newer in the code but older than the"
                        + " database's newest version " + status.newestApplied().map(Object::toString).orElse("?")
                        + "; flyway migrate ignores it and validate fails."));
                todo.add("For an ignored migration: give " + m.getScript() + " a version above the database's newest,"
                        + " or allow it with outOfOrder=true.");
            } else if (state == MigrationState.OUT_OF_ORDER) {
                outOfOrder++;
                result.atLeast(CheckStatus.WARN).finding(finding(m, name + " was applied out of order (after a newer"
                        + " version): databases migrated in a different order can differ."));
                todo.add("For an out-of-order migration: check that databases migrated in order ended with the same"
                        + " schema (schema-drift with a snapshot shows it).");
            }
        }
        if (result.status() == CheckStatus.PASS) {
            return result.summary("Every applied migration succeeded and matches the code ("
                    + status.migrations().stream().filter(m -> m.getVersion() != null && m.getState().isApplied()).count() + " applied).").build();
        }
        return result.summary("Migration history has problems that stop flyway migrate"
                        + (outOfOrder > 0 ? " (" + outOfOrder + " out of order)" : "") + ".")
                .remediation(String.join(" ", todo))
                .build();
    }

    private static String label(MigrationInfo m) {
        return (m.getVersion() == null ? "Repeatable migration" : "Version " + m.getVersion()) + " ("
                + m.getScript() + ")";
    }

    private static Finding finding(MigrationInfo m, String message) {
        return Finding.builder(message)
                .detail("version", m.getVersion() == null ? null : m.getVersion().toString())
                .detail("script", m.getScript())
                .detail("state", m.getState().name())
                .detail("installedOn", m.getInstalledOn() == null ? null : m.getInstalledOn().toInstant().toString())
                .detail("installedBy", m.getInstalledBy())
                .build();
    }

    /** Compares this instance's migrations with the history table: during a rolling deploy instances differ. */
    @Override
    public CheckScope scope() {
        return CheckScope.INSTANCE;
    }

    @Override
    public CheckCost cost() {
        return CheckCost.NORMAL;
    }
}
