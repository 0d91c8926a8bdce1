package io.ampora.dbguard.runbook.versions;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.Sql;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Runbook 8, a database that does not match the server running it: extensions installed at another version
 * than the one the server's files default to (pg_upgrade keeps the catalog's version and leaves an
 * {@code update_extensions.sql} to run by hand; a dump restored elsewhere creates the version it names), WARN
 * with {@code ALTER EXTENSION ... UPDATE}; and extensions the server has no files for at all (restored onto a
 * server without the package), FAIL, since they cannot be updated and their functions fail once their library
 * is missing too.
 */
public final class ExtensionVersionsCheck implements DatabaseCheck {

    @Override
    public String id() {
        return "extension-versions";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.VERSION_MISMATCH;
    }

    @Override
    public String description() {
        return "Extensions installed at another version than this server's files (after pg_upgrade or a restore), or"
                + " with no files on this server.";
    }

    @Override
    public boolean startupCritical() {
        return false;
    }

    /**
     * {@link CheckScope#DATABASE}: every instance would see the same answer.
     *
     * @return {@link CheckScope#DATABASE}
     */
    @Override
    public CheckScope scope() {
        return CheckScope.DATABASE;
    }

    /**
     * {@link CheckCost#NORMAL}: the installed extensions against {@code pg_available_extensions}, which reads
     * every control file in the server's share directory.
     *
     * @return {@link CheckCost#NORMAL}
     */
    @Override
    public CheckCost cost() {
        return CheckCost.NORMAL;
    }

    /**
     * None: an extension's version is a database-wide condition that every instance sees the same, and taking
     * every instance out of the load balancer at once would turn it into an outage (the reasoning of {@code query-
     * latency}). The monitor still reports, logs and counts it.
     *
     * @return no probe
     */
    @Override
    public Set<Probe> probes() {
        return Set.of();
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        CheckResult.Builder result = CheckResult.builder(this);
        List<String> behind = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<String> fixes = new ArrayList<>();
        try (Statement st = context.connection().createStatement();
             ResultSet rs = st.executeQuery(Sql.load(ExtensionVersionsCheck.class, id()))) {
            while (rs.next()) {
                String name = rs.getString("name");
                String installed = rs.getString("installed_version");
                String available = rs.getString("default_version");
                Finding.Builder finding;
                if (rs.getBoolean("has_files")) {
                    result.atLeast(CheckStatus.WARN);
                    behind.add(name + " " + installed + " (server: " + available + ")");
                    finding = Finding.builder("Extension " + name + " is installed at version " + installed + "; this"
                            + " server's files are for " + available + ".");
                    fixes.add("ALTER EXTENSION " + rs.getString("name_ident") + " UPDATE;");
                } else {
                    result.atLeast(CheckStatus.FAIL);
                    missing.add(name + " " + installed);
                    finding = Finding.builder("Extension " + name + " " + installed + " is installed in this database, but"
                            + " this server has no files for it: it cannot be updated, and its functions fail once its"
                            + " library is missing too (\"could not access file\").");
                    fixes.add("Install the server package that provides " + name + " (the same major version as the"
                            + " database's server), or, if nothing uses it, DROP EXTENSION " + rs.getString("name_ident") + ";");
                }
                result.finding(finding.detail("extension", name)
                        .detail("installedVersion", installed)
                        .detail("serverVersion", available)
                        .detail("owner", rs.getString("owner"))
                        .build());
            }
        }
        if (behind.isEmpty() && missing.isEmpty()) {
            return result.summary("Every installed extension is at the version this server's files default to.").build();
        }
        List<String> parts = new ArrayList<>();
        if (!missing.isEmpty()) {
            parts.add(missing.size() + (missing.size() == 1 ? " extension has" : " extensions have") + " no files on this"
                    + " server (" + String.join(", ", missing) + ")");
        }
        if (!behind.isEmpty()) {
            parts.add(behind.size() + (behind.size() == 1 ? " extension is" : " extensions are") + " at another version"
                    + " than this server's files (" + String.join(", ", behind) + ")");
        }
        return result.summary(String.join("; ", parts) + ": what pg_upgrade (until its update_extensions.sql is run)"
                        + " or a restore on another server leaves.")
                .remediation(String.join(" ", fixes) + " ALTER EXTENSION needs the extension's owner or a superuser.")
                .build();
    }
}
