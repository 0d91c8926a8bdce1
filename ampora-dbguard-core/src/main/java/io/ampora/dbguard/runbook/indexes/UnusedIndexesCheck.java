package io.ampora.dbguard.runbook.indexes;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.ConnectionAttempt;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.check.Target;
import io.ampora.dbguard.internal.SettingValues;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Runbook 6 (what fills the disk) and 3 (every write pays for every index): indexes no query has scanned
 * since the statistics were reset, with their size and the time the counts cover. Unique indexes,
 * indexes backing a constraint or the replica identity are left out (they work without being scanned).
 * SKIP until the statistics are {@code minStatisticsAge} old, since a week-old reset says little about a
 * monthly report's index. When a read replica is configured, its scans count too: an index only replica
 * reads use is not unused (on a physical standby the indexes have the primary's oids). A partitioned
 * index is judged once, on all its partitions' scans. SKIP when the guard's own database is a standby: its
 * counts are only the reads it served.
 */
public final class UnusedIndexesCheck implements DatabaseCheck {

    /** The statistics must cover at least this long before an index is called unused. */
    public static final CheckSetting<Duration> MIN_STATISTICS_AGE = CheckSetting.duration("minStatisticsAge",
            Duration.ofDays(7), "SKIP until the index scan statistics have been counting this long (since their reset)");
    /** How many indexes are listed as findings; the summary counts all of them. */
    public static final CheckSetting<Long> TOP = CheckSetting.count("top", 20, "how many unused indexes to list as findings");

    @Override
    public String id() {
        return "unused-indexes";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.DISK_FULL;
    }

    @Override
    public String description() {
        return "Indexes never scanned since the statistics were reset (replica scans counted), with their size.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(MIN_STATISTICS_AGE, TOP);
    }

    @Override
    public boolean startupCritical() {
        return false;
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        if (context.facts().inRecovery()) {
            return CheckResult.skip(this, "This server is a standby in recovery: its index scan counts are only the reads"
                    + " it served, so an index the primary scans would look unused here. Run the guard against the"
                    + " primary with this standby as its read replica (replicaDataSource or replicaJdbcUrl; doctor:"
                    + " --replica-jdbc-url): both servers' scans are counted then.");
        }
        Connection primary = context.connection();
        Duration age;
        boolean wasReset;
        try (Statement st = primary.createStatement();
             ResultSet rs = st.executeQuery(Sql.load(UnusedIndexesCheck.class, "unused-indexes-age"))) {
            rs.next();
            age = Duration.ofMillis((long) (rs.getDouble("age_seconds") * 1000));
            wasReset = rs.getBoolean("was_reset");
        }
        Duration minAge = context.setting(MIN_STATISTICS_AGE);
        String since = wasReset ? "since the statistics were reset " + SettingValues.format(age) + " ago"
                : "in the " + SettingValues.format(age) + " since the server started (the statistics were never reset)";
        if (age.compareTo(minAge) < 0) {
            return CheckResult.skip(this, "The index scans were counted " + since + ", less than minStatisticsAge ("
                    + SettingValues.format(minAge) + "): too short to call an index unused. Set unused-indexes.minStatisticsAge"
                    + " lower to judge anyway.");
        }
        ConnectionAttempt replica = context.connectionAttempt(Target.REPLICA);
        long top = context.setting(TOP);
        List<Unused> unused = new ArrayList<>();
        long total = 0;
        long bytes = 0;
        try (PreparedStatement ps = primary.prepareStatement(Sql.load(UnusedIndexesCheck.class, id()))) {
            // all of them when the replica's scans are to be subtracted, else only the listed ones
            if (replica.succeeded()) {
                ps.setNull(1, java.sql.Types.BIGINT);
            } else {
                ps.setLong(1, Math.max(1, top));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    unused.add(new Unused(rs.getString("index_name"), rs.getString("table_name"),
                            rs.getBoolean("partitioned"), rs.getLong("size_bytes"), rs.getString("leaves")));
                    total = rs.getLong("total");
                    bytes = rs.getLong("total_bytes");
                }
            }
        }
        String replicaNote = " No read replica is configured: only the primary's scans were counted.";
        if (replica.succeeded() && !unused.isEmpty()) {
            Set<String> scanned = scannedOnReplica(context.connection(Target.REPLICA), unused);
            unused.removeIf(u -> u.leafOids().stream().anyMatch(scanned::contains));
            total = unused.size();
            bytes = unused.stream().mapToLong(Unused::sizeBytes).sum();
            replicaNote = " The read replica's scans were counted too.";
        } else if (!replica.succeeded() && (replica.error().isPresent() || replica.timedOut())) {
            return CheckResult.unknown(this, "A read replica is configured but could not be reached, so its reads'"
                    + " index scans are unknown: " + total + " indexes are unused on the primary alone (see the"
                    + " replica-lag check for why the replica is unreachable).");
        }
        if (unused.isEmpty()) {
            return CheckResult.pass(this, "Every index that is not unique nor backing a constraint was scanned " + since + "."
                    + replicaNote);
        }
        CheckResult.Builder result = CheckResult.builder(this).status(CheckStatus.WARN);
        List<String> fixes = new ArrayList<>();
        for (Unused u : unused) {
            if (fixes.size() < top) {
                fixes.add(u.fix());
                result.finding(u.finding(since, age));
            }
        }
        return result.summary(total + (total == 1 ? " index was" : " indexes were") + " never scanned "
                        + since + " (" + SettingValues.formatBytes(bytes) + ")"
                        + (total > fixes.size() ? "; the " + fixes.size() + " largest listed" : "") + "."
                        + replicaNote)
                .remediation("Make sure no monthly job or failover path needs them (and no other replica reads with"
                        + " them), then: " + String.join(" ", fixes))
                .build();
    }

    private static Set<String> scannedOnReplica(Connection replica, List<Unused> unused) throws SQLException {
        List<String> oids = new ArrayList<>();
        unused.forEach(u -> oids.addAll(u.leafOids()));
        Set<String> scanned = new HashSet<>();
        try (PreparedStatement ps = replica.prepareStatement(Sql.load(UnusedIndexesCheck.class, "unused-indexes-replica"))) {
            ps.setString(1, "{" + String.join(",", oids) + "}");
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    scanned.add(rs.getString("oid"));
                }
            }
        }
        return scanned;
    }

    /** One unused index; {@code leaves} is the array literal of the oids whose scans were summed. */
    private record Unused(String index, String table, boolean partitioned, long sizeBytes, String leaves) {

        List<String> leafOids() {
            String inner = leaves.substring(1, leaves.length() - 1);
            return inner.isEmpty() ? List.of() : List.of(inner.split(","));
        }

        String fix() {
            return (partitioned ? "DROP INDEX " : "DROP INDEX CONCURRENTLY ") + index + ";";
        }

        Finding finding(String since, Duration age) {
            return Finding.builder((partitioned ? "Partitioned index " : "Index ") + index + " on " + table + " ("
                            + SettingValues.formatBytes(sizeBytes) + ") was never scanned " + since
                            + ", yet every write maintains it. If nothing needs it: " + fix())
                    .detail("index", index)
                    .detail("table", table)
                    .detail("sizeBytes", sizeBytes)
                    .detail("size", SettingValues.formatBytes(sizeBytes))
                    .detail("statisticsAge", SettingValues.format(age))
                    .detail("partitioned", partitioned)
                    .detail("fix", fix())
                    .build();
        }
    }

    /** Every index's scan counts: a scan that grows with the schema, the same answer from every instance. */
    @Override
    public CheckScope scope() {
        return CheckScope.DATABASE;
    }

    @Override
    public CheckCost cost() {
        return CheckCost.EXPENSIVE;
    }

    /**
     * None: a database-wide condition every instance sees at once (see {@link DatabaseCheck#probes()}). The monitor
     * still reports, logs and counts it.
     *
     * @return no probe
     */
    @Override
    public Set<Probe> probes() {
        return Set.of();
    }
}
