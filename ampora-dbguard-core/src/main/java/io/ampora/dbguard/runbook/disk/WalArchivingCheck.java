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
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.internal.SettingValues;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Runbook 6 (disk full) and 8 (restoring a backup): the WAL archiver. With {@code archive_mode} on, a WAL
 * segment is recycled only once {@code archive_command} (or {@code archive_library}) has archived it, so an
 * archiver that keeps failing fills {@code pg_wal} until the primary stops, and the backups and
 * point-in-time recovery that rely on the archive fall behind. Reads {@code pg_stat_archiver}: FAIL when
 * the last failure is newer than the last success, with the failed segment, how long ago it failed, the
 * failure count and the last archived segment; counts the segments waiting ({@code .ready} files in
 * {@code archive_status}) where the role may list them, WARN past {@code warnReadyFiles} (16).
 *
 * <p>SKIP when archiving is off, and on a standby unless {@code archive_mode = always}. Needs no privilege
 * for the archiver's state; the {@code .ready} count needs {@code pg_monitor} (or EXECUTE on
 * {@code pg_ls_archive_statusdir()}), and without it the finding names the grant.
 */
public final class WalArchivingCheck implements DatabaseCheck {

    /** More WAL segments than this waiting for the archiver warns. */
    public static final CheckSetting<Long> WARN_READY_FILES = CheckSetting.count("warnReadyFiles", 16,
            "how many WAL segments may wait for the archiver (.ready files) before the check warns");

    @Override
    public String id() {
        return "wal-archiving";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.DISK_FULL;
    }

    @Override
    public String description() {
        return "With archive_mode on: archive_command failing (pg_stat_archiver), WAL waiting to be archived;"
                + " WAL cannot be recycled and backups/PITR fall behind.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(WARN_READY_FILES);
    }

    @Override
    public boolean startupCritical() {
        return false;
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        Archiver a = read(context.connection());
        if (a.skipReason() != null) {
            return CheckResult.skip(this, a.skipReason());
        }
        Ready ready = ready(context.connection(), context.facts().currentUser());
        CheckResult.Builder result = CheckResult.builder(this);
        String consequence = "WAL cannot be recycled until it is archived, so pg_wal grows until the disk is full and the"
                + " primary stops; and backups / point-in-time recovery from the archive are behind"
                + (a.archivedSeconds() == null ? " (nothing was ever archived)" : " since the last archived segment, "
                + a.lastArchivedWal() + ", " + age(a.archivedSeconds()) + " ago") + ".";
        if (a.failing()) {
            result.status(CheckStatus.FAIL).finding(a.details(Finding.builder("The WAL archiver is failing: archiving "
                            + a.lastFailedWal() + " failed " + age(a.failedSeconds()) + " ago (" + a.failedCount()
                            + " failures" + (a.resetSeconds() == null ? "" : " since the statistics were reset "
                            + age(a.resetSeconds()) + " ago") + ") and nothing has been archived since. " + consequence), ready)
                    .build());
        } else if (ready.files() != null && ready.files() > context.setting(WARN_READY_FILES)) {
            result.status(CheckStatus.WARN).finding(a.details(Finding.builder(ready.files() + " WAL segments wait for the"
                    + " archiver (the oldest, " + ready.oldest() + ", for " + age(ready.oldestSeconds()) + "): it is not"
                    + " keeping up with the WAL written. " + consequence), ready).build());
        } else {
            result.finding(a.details(Finding.builder("The WAL archiver works: the last segment, "
                    + (a.lastArchivedWal() == null ? "none yet" : a.lastArchivedWal() + ", was archived "
                    + age(a.archivedSeconds()) + " ago") + "."), ready).build());
        }
        String readyText = ready.files() == null ? " " + ready.hidden() : " " + ready.files() + " segments wait.";
        if (result.status() == CheckStatus.PASS) {
            return result.summary("archive_mode is " + a.archiveMode() + "; the archiver is not failing (" + a.archivedCount()
                    + " segments archived, " + a.failedCount() + " failures)." + readyText).build();
        }
        return result.summary(a.failing() ? "The WAL archiver is failing on " + a.lastFailedWal() + " since "
                                + age(a.failedSeconds()) + " ago." + readyText
                        : ready.files() + " WAL segments wait for the archiver.")
                .remediation("Repair archive_command (or archive_library): run it by hand as the postgres OS user on "
                        + (a.failing() ? a.lastFailedWal() : "the oldest waiting segment") + " and read the server log"
                        + " for its error (destination full or unreachable, credentials, a file that already exists);"
                        + " then SELECT pg_reload_conf(); the archiver retries by itself. Do not delete files from"
                        + " pg_wal by hand. If the archive is no longer wanted, ALTER SYSTEM SET archive_mode = off"
                        + " (needs a restart) or, from PostgreSQL 15, ALTER SYSTEM SET archive_command = '' with"
                        + " archive_library unset; then take a fresh base backup once archiving works again.")
                .build();
    }

    /**
     * Reads the archiver's state.
     *
     * @param connection the check's session
     * @return the state; its {@link Archiver#skipReason()} is set when archiving is off here
     * @throws SQLException when the query fails
     */
    static Archiver read(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery(Sql.load(WalArchivingCheck.class, "wal-archiving"))) {
            rs.next();
            String mode = rs.getString("archive_mode");
            String skip = null;
            if ("off".equals(mode)) {
                skip = "archive_mode is off: WAL archiving is not enabled, so no archiver can hold WAL back (point-in-time"
                        + " recovery relies on another mechanism, if any).";
            } else if (rs.getBoolean("in_recovery") && !"always".equals(mode)) {
                skip = "This server is a standby with archive_mode = " + mode + ": only the primary archives (use"
                        + " archive_mode = always to archive on the standby too).";
            }
            return new Archiver(mode, skip, rs.getLong("archived_count"), rs.getString("last_archived_wal"),
                    doubleOrNull(rs, "archived_seconds"), rs.getLong("failed_count"), rs.getString("last_failed_wal"),
                    doubleOrNull(rs, "failed_seconds"), doubleOrNull(rs, "reset_seconds"), rs.getBoolean("failing"));
        }
    }

    static Ready ready(Connection connection, String role) throws SQLException {
        try (Statement st = connection.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT pg_catalog.has_function_privilege("
                    + "'pg_catalog.pg_ls_archive_statusdir()', 'EXECUTE')")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return new Ready(null, null, null, "How many WAL segments wait is unknown: " + role + " may not run"
                            + " pg_ls_archive_statusdir() (GRANT pg_monitor TO " + role + ").");
                }
            }
            try (ResultSet rs = st.executeQuery(Sql.load(WalArchivingCheck.class, "wal-archiving-ready"))) {
                rs.next();
                return new Ready(rs.getLong("ready_files"), rs.getString("oldest_ready"),
                        doubleOrNull(rs, "oldest_ready_seconds"), null);
            }
        }
    }

    private static Double doubleOrNull(ResultSet rs, String column) throws SQLException {
        double v = rs.getDouble(column);
        return rs.wasNull() ? null : v;
    }

    static String age(Double seconds) {
        return seconds == null ? "unknown" : SettingValues.format(Duration.ofMillis(Math.round(seconds * 1000)));
    }

    /** The archiver's state from {@code pg_stat_archiver}. */
    record Archiver(String archiveMode, String skipReason, long archivedCount, String lastArchivedWal,
                    Double archivedSeconds, long failedCount, String lastFailedWal, Double failedSeconds,
                    Double resetSeconds, boolean failing) {

        Finding.Builder details(Finding.Builder f, Ready ready) {
            f.detail("archiveMode", archiveMode)
                    .detail("failing", failing)
                    .detail("lastFailedWal", lastFailedWal)
                    .detail("lastFailedAge", failedSeconds == null ? null : age(failedSeconds))
                    .detail("failedCount", failedCount)
                    .detail("lastArchivedWal", lastArchivedWal)
                    .detail("lastArchivedAge", archivedSeconds == null ? null : age(archivedSeconds))
                    .detail("archivedCount", archivedCount);
            if (ready.files() != null) {
                f.detail("readyFiles", ready.files()).detail("oldestReady", ready.oldest());
            } else {
                f.detail("readyFiles", "unknown").detail("grant", ready.hidden());
            }
            return f;
        }
    }

    /** The segments waiting for the archiver; {@code files} null when the role may not list them. */
    record Ready(Long files, String oldest, Double oldestSeconds, String hidden) {
    }

    /** The server's archiver, the same from every instance; one statistics row. */
    @Override
    public CheckScope scope() {
        return CheckScope.DATABASE;
    }

    @Override
    public CheckCost cost() {
        return CheckCost.CHEAP;
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
