package io.ampora.dbguard.runbook.disk;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.SettingOrder;
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.internal.SettingValues;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Runbook 6, "Disk full": the database's size, its largest relations (table + indexes + TOAST, partitions
 * summed into their parent), the size of pg_wal when the role may list it, and, given a
 * {@link DiskSpaceProvider} or the {@code dataPath} setting, the free space on the database's volume
 * against {@code warnFreePercent} (20) and {@code failFreePercent} (10).
 *
 * <p>PostgreSQL cannot report free disk space through SQL. The instance found by {@link java.util.ServiceLoader}
 * has no provider: it reports sizes and says that free space is unknown, never a PASS on free space it
 * did not measure. Register {@code new DiskUsageCheck(provider)} with {@code DbGuard.builder().addCheck(...)}
 * to measure it. The remediation follows the runbook: bump the retention of {@code audit_event_archive}
 * if it is the largest table, grow the WAL volume if WAL is the largest, otherwise prune or archive the
 * largest table.
 */
public final class DiskUsageCheck implements DatabaseCheck {

    /** Free space below which the check warns. */
    public static final CheckSetting<Double> WARN_FREE_PERCENT =
            CheckSetting.percent("warnFreePercent", 20, "free share of the database volume below which to warn");
    /** Free space below which the check fails. */
    public static final CheckSetting<Double> FAIL_FREE_PERCENT =
            CheckSetting.percent("failFreePercent", 10, "free share of the database volume below which to fail");
    /** Free bytes below which the check fails, whatever the percentage; 0 turns it off. */
    public static final CheckSetting<Long> FAIL_FREE_BYTES =
            CheckSetting.size("failFreeBytes", 0, "free bytes on the database volume below which to fail; 0 = off");
    /** A path on the database's volume, for a database on the same host; empty = none. */
    public static final CheckSetting<String> DATA_PATH =
            CheckSetting.text("dataPath", "", "a path on the database host's data volume to measure free space"
                    + " (only when the application runs on the database host); empty = unknown");
    /** How many relations are listed. */
    public static final CheckSetting<Long> TOP =
            CheckSetting.count("top", 10, "how many of the largest relations to list");

    static final String AUDIT_ARCHIVE = "audit_event_archive";

    private final DiskSpaceProvider provider;

    /** The check as found by ServiceLoader: sizes only, free space unknown unless {@code dataPath} is set. */
    public DiskUsageCheck() {
        this.provider = null;
    }

    /**
     * The check measuring free space with a provider.
     *
     * @param provider tells free and total bytes of the database's volume
     */
    public DiskUsageCheck(DiskSpaceProvider provider) {
        this.provider = java.util.Objects.requireNonNull(provider, "provider");
    }

    @Override
    public String id() {
        return "disk-usage";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.DISK_FULL;
    }

    @Override
    public String description() {
        return "Database size, largest relations, WAL size and, with a DiskSpaceProvider, free space on the volume.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(WARN_FREE_PERCENT, FAIL_FREE_PERCENT, FAIL_FREE_BYTES, DATA_PATH, TOP);
    }

    /**
     * The warn threshold must stay on the safe side of the fail threshold (less free space is worse, so
     * warn must not be below fail); checked at build().
     *
     * @return the ordered pair
     */
    @Override
    public List<SettingOrder<?>> settingOrders() {
        return List.of(SettingOrder.lowerIsWorse(WARN_FREE_PERCENT, FAIL_FREE_PERCENT));
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
     * {@link CheckCost#EXPENSIVE}: a scan that grows with the schema.
     *
     * @return {@link CheckCost#EXPENSIVE}
     */
    @Override
    public CheckCost cost() {
        return CheckCost.EXPENSIVE;
    }

    /**
     * {@link Probe#STARTUP} only: a FAIL keeps a starting instance from reporting started, as {@code verifyOrFail()}
     * does, but leaves readiness alone: a database-wide condition every instance sees at once (see
     * {@link DatabaseCheck#probes()}). The monitor still reports, logs and counts it.
     *
     * @return {@link Probe#STARTUP}
     */
    @Override
    public Set<Probe> probes() {
        return EnumSet.of(Probe.STARTUP);
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        Connection connection = context.connection();
        long databaseBytes = databaseSize(connection);
        List<Relation> largest = largest(connection, context.setting(TOP));
        Optional<Long> walBytes = walSize(connection);
        // max_wal_size is in MB; WAL up to it is normal (min_wal_size is preallocated), beyond it something holds it
        long maxWalBytes = context.facts().settingAsLong("max_wal_size", 1024) * 1024 * 1024;
        List<WalRetention.Cause> causes = WalRetention.read(context, maxWalBytes);

        CheckResult.Builder result = CheckResult.builder(this);
        for (Relation r : largest) {
            result.finding(r.finding());
        }
        causes.forEach(c -> result.finding(c.finding()));
        String wal = walBytes.map(b -> "WAL " + SettingValues.formatBytes(b)).orElse("WAL size unknown: " + context.facts().currentUser()
                + " may not run pg_ls_waldir() (GRANT pg_monitor TO " + context.facts().currentUser() + ")");
        walBytes.ifPresent(b -> result.finding(Finding.builder("pg_wal holds " + SettingValues.formatBytes(b) + ".")
                .detail("relation", "pg_wal").detail("bytes", b).build()));
        if (!causes.isEmpty()) {
            wal += " (retained by " + causes.stream().map(c -> c.holder() + (c.bytes() == null ? ""
                    : " " + SettingValues.formatBytes(c.bytes()))).collect(java.util.stream.Collectors.joining(", ")) + ")";
        }
        String sizes = "Database " + context.facts().database() + " is " + SettingValues.formatBytes(databaseBytes)
                + (largest.isEmpty() ? "" : "; largest " + largest.get(0).name + " " + SettingValues.formatBytes(largest.get(0).bytes))
                + "; " + wal + ".";

        Optional<DiskSpaceProvider> source = provider(context);
        if (source.isEmpty()) {
            return result.summary(sizes + " Free space unknown: no DiskSpaceProvider configured (register"
                    + " new DiskUsageCheck(provider) or set disk-usage.dataPath).").build();
        }
        DiskSpace space;
        try {
            space = source.get().diskSpace();
        } catch (IOException | RuntimeException e) {
            return result.status(CheckStatus.UNKNOWN).summary(sizes + " Free space unknown: the DiskSpaceProvider"
                    + " failed: " + e.getMessage()).build();
        }
        double free = space.freePercent();
        long failBytes = context.setting(FAIL_FREE_BYTES);
        CheckStatus status = free < context.setting(FAIL_FREE_PERCENT) || space.freeBytes() < failBytes ? CheckStatus.FAIL
                : free < context.setting(WARN_FREE_PERCENT) ? CheckStatus.WARN : CheckStatus.PASS;
        result.status(status).summary(String.format(Locale.ROOT, "%s free of %s (%.1f%%) on the database volume. ",
                SettingValues.formatBytes(space.freeBytes()), SettingValues.formatBytes(space.totalBytes()), free) + sizes);
        result.finding(Finding.builder(String.format(Locale.ROOT, "The database volume has %s free of %s (%.1f%%).",
                        SettingValues.formatBytes(space.freeBytes()), SettingValues.formatBytes(space.totalBytes()), free))
                .detail("freeBytes", space.freeBytes())
                .detail("totalBytes", space.totalBytes())
                .detail("freePercent", Math.round(free * 10) / 10.0)
                .build());
        if (status != CheckStatus.PASS) {
            result.remediation(remediation(largest, walBytes, maxWalBytes, causes));
        }
        return result.build();
    }

    private Optional<DiskSpaceProvider> provider(CheckContext context) {
        if (provider != null) {
            return Optional.of(provider);
        }
        String path = context.setting(DATA_PATH);
        return path.isBlank() ? Optional.empty() : Optional.of(DiskSpaceProvider.forPath(Path.of(path)));
    }

    static String remediation(List<Relation> largest, Optional<Long> walBytes, long maxWalBytes,
                              List<WalRetention.Cause> causes) {
        Relation top = largest.isEmpty() ? null : largest.get(0);
        if (walBytes.isPresent() && walBytes.get() > maxWalBytes && (top == null || walBytes.get() > top.bytes)) {
            String head = "WAL is the largest (" + SettingValues.formatBytes(walBytes.get()) + ", above max_wal_size " + SettingValues.formatBytes(maxWalBytes) + ")";
            if (!causes.isEmpty()) {
                return head + " because something keeps it: " + causes.stream().map(c -> c.what() + " " + c.fix())
                        .collect(java.util.stream.Collectors.joining(" ")) + " Fix that rather than growing the WAL"
                        + " volume: a bigger volume only delays the outage.";
            }
            return head + " and nothing retains it (no replication slot behind, the archiver is not failing): bump the"
                    + " WAL volume size, or lower max_wal_size / wal_keep_size if they are set higher than the volume"
                    + " allows.";
        }
        if (top == null) {
            return "Grow the volume, or find what else fills it (logs, temporary files: pg_ls_tmpdir()).";
        }
        String grow = " Deleted rows free space for reuse only; to return it to the volume, VACUUM FULL or pg_repack"
                + " the table (they need free space the size of the table) or drop old partitions.";
        if (AUDIT_ARCHIVE.equals(top.simpleName)) {
            return top.name + " is the largest (" + SettingValues.formatBytes(top.bytes) + "): bump retention, i.e. shorten how long"
                    + " audit events are archived so that old rows are pruned." + grow;
        }
        return "Prune or archive " + top.name + ", the largest relation (" + SettingValues.formatBytes(top.bytes) + "), or grow the"
                + " volume." + grow;
    }

    private static long databaseSize(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_database_size(pg_catalog.current_database())")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<Relation> largest(Connection connection, long top) throws SQLException {
        List<Relation> relations = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(Sql.load(DiskUsageCheck.class, "disk-usage"))) {
            // measure a few times more candidates than listed: page counts in pg_class may lag behind
            ps.setLong(1, 3 * top + 20);
            ps.setLong(2, top);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    relations.add(new Relation(rs.getString("relation_name"), rs.getString("simple_name"),
                            rs.getBoolean("partitioned"), rs.getLong("partitions"), rs.getLong("total_bytes")));
                }
            }
        }
        return relations;
    }

    private static Optional<Long> walSize(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement()) {
            try (ResultSet rs = st.executeQuery(
                    "SELECT pg_catalog.has_function_privilege('pg_catalog.pg_ls_waldir()', 'EXECUTE')")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return Optional.empty();
                }
            }
            try (ResultSet rs = st.executeQuery(Sql.load(DiskUsageCheck.class, "disk-usage-wal"))) {
                rs.next();
                return Optional.of(rs.getLong("total_bytes"));
            }
        }
    }

    /** One of the largest relations. */
    record Relation(String name, String simpleName, boolean partitioned, long partitions, long bytes) {

        Finding finding() {
            return Finding.builder(name + " takes " + SettingValues.formatBytes(bytes) + " with its indexes and TOAST"
                            + (partitioned ? ", summed over its " + partitions + " partitions." : "."))
                    .detail("relation", name)
                    .detail("bytes", bytes)
                    .detail("partitioned", partitioned)
                    .detail("partitions", partitions)
                    .build();
        }
    }
}
