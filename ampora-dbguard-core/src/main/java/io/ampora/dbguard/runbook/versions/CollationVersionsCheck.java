package io.ampora.dbguard.runbook.versions;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.Sql;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Runbook 8, a backup that does not match what runs it: collations whose version recorded in the catalog
 * differs from what the operating system's library (glibc or ICU) reports now. The version is recorded when
 * a collation or (PostgreSQL 15+) a database is created; a physical backup restored on another OS image, or
 * an OS or ICU upgrade under the same data directory (glibc 2.28 changed the order of most locales), leaves
 * the indexes sorted the old way while lookups compare the new way: rows are missed and unique indexes let
 * duplicates in, with nothing but a WARNING in the server log. FAIL per such collation with the indexes that
 * sort by it, and the fix: {@code REINDEX ... CONCURRENTLY} them, then {@code ALTER COLLATION ... REFRESH
 * VERSION} (or {@code ALTER DATABASE ... REFRESH COLLATION VERSION}). Collations without a version (C, POSIX)
 * never change; PostgreSQL 13 and 14 record none for the database's default collation, which the summary
 * says (the named collations are still compared). A library that reports no version makes it UNKNOWN.
 */
public final class CollationVersionsCheck implements DatabaseCheck {

    /** How many index names to list per collation. */
    public static final CheckSetting<Long> TOP = CheckSetting.count("top", 20, "how many indexes to name per collation");

    @Override
    public String id() {
        return "collation-versions";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.VERSION_MISMATCH;
    }

    @Override
    public String description() {
        return "Collations whose recorded version differs from the OS library's (a restore on another OS image, a glibc"
                + " or ICU upgrade): the indexes sorted by them may be corrupt.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(TOP);
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
     * {@link CheckCost#EXPENSIVE}: a pass over every index (it grows with the schema), and the library asked
     * for each collation in use; its answer changes only with a restore or an upgrade.
     *
     * @return {@link CheckCost#EXPENSIVE}
     */
    @Override
    public CheckCost cost() {
        return CheckCost.EXPENSIVE;
    }

    /**
     * None: a collation version that changed is a database-wide condition (most lookups keep working until the
     * indexes are rebuilt) that every instance sees the same, and taking every instance out of the load balancer
     * at once would turn it into an outage (the reasoning of {@code query-latency}). The monitor still reports,
     * logs and counts it.
     *
     * @return no probe
     */
    @Override
    public Set<Probe> probes() {
        return Set.of();
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        int top = (int) Math.max(1, Math.min(Integer.MAX_VALUE, context.setting(TOP)));
        Connection connection = context.connection();
        List<Changed> changed = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(Sql.load(CollationVersionsCheck.class, id()))) {
            ps.setInt(1, top);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Changed c = Changed.read(rs, "collation_name", false);
                    if (c.actual() == null) {
                        unknown.add(c.name());
                    } else {
                        changed.add(c);
                    }
                }
            }
        }
        String defaultNote;
        if (context.facts().versionNum() >= 150000) {
            try (PreparedStatement ps = connection.prepareStatement(Sql.load(CollationVersionsCheck.class,
                    "collation-versions-database"))) {
                ps.setInt(1, top);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    Changed db = Changed.read(rs, "database_name", true);
                    if (db.recorded() == null) {
                        defaultNote = " The database's default collation records no version (C, POSIX and C.UTF-8 sort by code"
                                + " point, which no library upgrade changes).";
                    } else if (db.actual() == null) {
                        defaultNote = "";
                        unknown.add("the default collation of database " + db.name());
                    } else if (!db.recorded().equals(db.actual())) {
                        defaultNote = "";
                        changed.add(0, db);
                    } else {
                        defaultNote = " The database's default collation is at its recorded version " + db.recorded() + ".";
                    }
                }
            }
        } else {
            defaultNote = " PostgreSQL " + context.facts().version() + " records no version for the database's default"
                    + " collation (15+ does): after a restore on another OS image or a glibc upgrade, REINDEX the"
                    + " indexes on text columns regardless.";
        }
        String unknownNote = unknown.isEmpty() ? "" : " The library reports no version for " + String.join(", ", unknown)
                + ", so whether it changed is unknown.";
        if (changed.isEmpty()) {
            return CheckResult.builder(this)
                    .status(unknown.isEmpty() ? CheckStatus.PASS : CheckStatus.UNKNOWN)
                    .summary("Every versioned collation the indexes sort by is at its recorded version." + defaultNote
                            + unknownNote)
                    .build();
        }
        CheckResult.Builder result = CheckResult.builder(this).status(CheckStatus.FAIL);
        List<String> fixes = new ArrayList<>();
        long indexes = 0;
        for (Changed c : changed) {
            result.finding(c.finding());
            fixes.addAll(c.fixes());
            indexes += c.indexCount();
        }
        return result.summary(changed.size() + (changed.size() == 1 ? " collation sorts" : " collations sort")
                        + " differently from when " + indexes + (indexes == 1 ? " index was" : " indexes were")
                        + " built (" + String.join(", ", changed.stream().map(Changed::versions).toList())
                        + "): lookups can miss rows and unique indexes can let duplicates in, after a restore on another"
                        + " OS image or a glibc or ICU upgrade." + unknownNote)
                .remediation("Rebuild the indexes, then record the library's version: " + String.join(" ", fixes)
                        + " (REINDEX CONCURRENTLY needs the table's owner and runs outside a transaction; a unique index"
                        + " that fails to rebuild names the duplicates it holds: remove them first.)")
                .build();
    }

    /** A collation, or a database's default collation, whose version changed. */
    private record Changed(String name, String ident, boolean database, String provider, String recorded,
                           String actual, long indexCount, List<String> indexes) {

        static Changed read(ResultSet rs, String nameColumn, boolean database) throws SQLException {
            Array array = rs.getArray("indexes");
            List<String> names = new ArrayList<>(List.of((String[]) array.getArray()));
            array.free();
            return new Changed(rs.getString(nameColumn), database ? rs.getString("database_ident") : rs.getString(nameColumn),
                    database, provider(rs.getString("provider")),
                    rs.getString("recorded_version"), rs.getString("actual_version"), rs.getLong("index_count"), names);
        }

        private static String provider(String code) {
            return switch (code == null ? "" : code) {
                case "i" -> "ICU";
                case "c" -> "libc";
                case "b" -> "builtin";
                case "d" -> "the database's";
                default -> code;
            };
        }

        String versions() {
            return label() + " " + recorded + " -> " + actual;
        }

        String label() {
            return database ? "the default collation of database " + name : "collation " + name;
        }

        Finding finding() {
            return Finding.builder("The " + label() + " (" + provider + ") was recorded at version " + recorded
                            + " and the library now reports " + actual + ": " + indexCount
                            + (indexCount == 1 ? " index sorts" : " indexes sort") + " by it"
                            + (indexes.isEmpty() ? "." : ": " + String.join(", ", indexes)
                            + (indexCount > indexes.size() ? ", ..." : "") + "."))
                    .detail(database ? "database" : "collation", name)
                    .detail("provider", provider)
                    .detail("recordedVersion", recorded)
                    .detail("actualVersion", actual)
                    .detail("indexCount", indexCount)
                    .detail("indexes", String.join(", ", indexes))
                    .build();
        }

        List<String> fixes() {
            List<String> fixes = new ArrayList<>();
            boolean more = indexCount > indexes.size();
            if (database && more) {
                fixes.add("REINDEX DATABASE CONCURRENTLY " + ident + ";");
            } else {
                indexes.forEach(i -> fixes.add("REINDEX INDEX CONCURRENTLY " + i + ";"));
                if (more) {
                    fixes.add("(and the " + (indexCount - indexes.size()) + " more indexes sorting by " + name + ")");
                }
            }
            fixes.add(database ? "ALTER DATABASE " + ident + " REFRESH COLLATION VERSION;"
                    : "ALTER COLLATION " + name + " REFRESH VERSION;");
            return fixes;
        }
    }
}
