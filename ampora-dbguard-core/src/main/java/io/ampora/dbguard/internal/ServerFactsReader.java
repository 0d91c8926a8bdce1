package io.ampora.dbguard.internal;

import io.ampora.dbguard.check.ServerFacts;
import io.ampora.dbguard.check.SessionTls;
import io.ampora.dbguard.check.Sql;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reads {@link ServerFacts} on a prepared read-only session, keeping what only changes with the server's
 * configuration between reads. One reader per guard and target (a runner's), safe for concurrent reports.
 *
 * <p>Every read runs one small query ({@code server-facts}: version, role, recovery, extensions, and the
 * server's start and configuration load times). The settings ({@code pg_settings}, ~350 rows, the bulk of
 * the cost: 5-20 ms on a loaded server or a new session) and the session's TLS state are read at the first
 * report and again only when the server restarted, reloaded its configuration, changed recovery state, the
 * role or database differ, or {@link #MAX_AGE} passed. A monitor's report every 10 s thus costs one cheap
 * statement for the facts instead of three, and no {@code pg_stat_ssl} read. A report of per-instance checks
 * only (a fleet member that is not the runner) reads even less while the kept facts are current: one
 * statement of functions and settings without any catalog table ({@code server-stamp}), since in a new
 * backend every catalog read pays cold caches (~5 ms for {@code server-facts} on a loaded server, against
 * ~0.1 ms in a pooled session); role memberships, BYPASSRLS and extensions are then the ones kept from the
 * last full read (at most {@link #MAX_AGE} old, or up to the last report with a database-wide check).
 *
 * <p>{@code pg_conf_load_time()} is per backend: a session alive during a reload answers when it itself
 * re-read the files (at its next command), a newer session the postmaster's time. Kept facts are therefore
 * re-read when the time is <em>newer</em> than the one they were read with, so each pooled session that
 * had not yet seen a reload causes at most one re-read, and a new session never causes one.
 */
final class ServerFactsReader {

    /** Read per report, not kept: see {@link #facts(Row, Kept)}. */
    static final String DEFAULT_READ_ONLY = "default_transaction_read_only";

    /** Settings given with ALTER ROLE/DATABASE ... SET reach new sessions without a reload: re-read this often. */
    static final Duration MAX_AGE = Duration.ofMinutes(5);

    /** What the kept settings were read with. */
    private record Kept(Map<String, String> settings, Optional<SessionTls> tls, OffsetDateTime startedAt,
                        OffsetDateTime confLoadedAt, boolean inRecovery, String database, String user, long readAt) {
    }

    private volatile Kept kept;
    /** The last full facts row: role attributes, memberships and extensions for a light read. */
    private volatile Row lastRow;

    ServerFacts read(Connection connection) throws SQLException {
        return read(connection, false);
    }

    /**
     * @param instanceOnly whether the report runs only {@link io.ampora.dbguard.check.CheckScope#INSTANCE}
     *                     checks: then, while the kept facts are current, one lighter statement without any
     *                     catalog table (version, database, user, superuser, recovery, start and load times)
     *                     is enough, and role memberships, BYPASSRLS and extensions are the kept ones
     */
    ServerFacts read(Connection connection, boolean instanceOnly) throws SQLException {
        try (Statement st = connection.createStatement()) {
            Kept current = kept;
            Row last = lastRow;
            if (instanceOnly && current != null && last != null) {
                try (ResultSet rs = st.executeQuery(Sql.load(ServerFactsReader.class, "server-stamp"))) {
                    if (rs.next()) {
                        Row light = new Row(rs.getInt("version_num"), rs.getString("version"), rs.getString("database_name"),
                                rs.getString("current_user_name"), rs.getString("session_user_name"),
                                rs.getBoolean("is_superuser"), last.bypassRls, last.readAllStats, last.monitor,
                                rs.getBoolean("in_recovery"), rs.getString("default_read_only"),
                                Row.newSessionSettings(rs), rs.getObject("started_at", OffsetDateTime.class),
                                rs.getObject("conf_loaded_at", OffsetDateTime.class), last.extensions);
                        if (!stale(current, light, System.nanoTime()) && light.superuser == last.superuser
                                && light.sessionUser.equals(last.sessionUser)) {
                            return facts(light, current);
                        }
                    }
                }
            }
            Row row;
            try (ResultSet rs = st.executeQuery(Sql.load(ServerFactsReader.class, "server-facts"))) {
                if (!rs.next()) {
                    throw new SQLException("the current role is not in pg_roles; cannot read server facts");
                }
                row = Row.of(rs);
            }
            lastRow = row;
            Kept k = kept;
            long now = System.nanoTime();
            if (stale(k, row, now)) {
                Map<String, String> settings = new HashMap<>();
                try (ResultSet rs = st.executeQuery(Sql.load(ServerFactsReader.class, "server-settings"))) {
                    while (rs.next()) {
                        settings.put(rs.getString(1), rs.getString(2) == null ? "" : rs.getString(2));
                    }
                }
                Optional<SessionTls> tls = SessionTlsQuery.read(st);
                OffsetDateTime loaded = k != null && k.confLoadedAt().isAfter(row.confLoadedAt) && k.startedAt().isEqual(row.startedAt)
                        ? k.confLoadedAt() : row.confLoadedAt;
                k = new Kept(Map.copyOf(settings), tls, row.startedAt, loaded, row.inRecovery, row.database, row.user, now);
                kept = k;
            }
            return facts(row, k);
        }
    }

    private static boolean stale(Kept k, Row row, long now) {
        return k == null || !k.startedAt().isEqual(row.startedAt) || row.confLoadedAt.isAfter(k.confLoadedAt())
                || k.inRecovery() != row.inRecovery || !k.database().equals(row.database) || !k.user().equals(row.user)
                || now - k.readAt() > MAX_AGE.toNanos();
    }

    private static ServerFacts facts(Row row, Kept k) {
        Map<String, String> settings = k.settings();
        if (row.defaultReadOnly != null && !row.defaultReadOnly.equals(settings.get(DEFAULT_READ_ONLY))) {
            // set with ALTER DATABASE/ROLE ... SET (or by a provider when a storage quota is exceeded) it reaches new
            // sessions without a reload, so the kept settings may not have it yet: this report's session has
            settings = new HashMap<>(settings);
            settings.put(DEFAULT_READ_ONLY, row.defaultReadOnly);
        }
        return new ServerFacts(row.versionNum, row.version, row.database, row.user, row.sessionUser, row.superuser,
                row.bypassRls, row.readAllStats, row.monitor, row.inRecovery, settings, row.extensions, k.tls(),
                row.newSessionSettings);
    }

    /** The per-report row. */
    private record Row(int versionNum, String version, String database, String user, String sessionUser,
                       boolean superuser, boolean bypassRls, boolean readAllStats, boolean monitor, boolean inRecovery,
                       String defaultReadOnly, Map<String, String> newSessionSettings, OffsetDateTime startedAt,
                       OffsetDateTime confLoadedAt, Map<String, String> extensions) {
        static Row of(ResultSet rs) throws SQLException {
            Map<String, String> extensions = new HashMap<>();
            String[] names = strings(rs.getArray("extension_names"));
            String[] versions = strings(rs.getArray("extension_versions"));
            for (int i = 0; i < names.length && i < versions.length; i++) {
                extensions.put(names[i], versions[i]);
            }
            return new Row(rs.getInt("version_num"), rs.getString("version"), rs.getString("database_name"),
                    rs.getString("current_user_name"), rs.getString("session_user_name"), rs.getBoolean("superuser"),
                    rs.getBoolean("bypass_rls"), rs.getBoolean("read_all_stats"), rs.getBoolean("monitor"),
                    rs.getBoolean("in_recovery"), rs.getString("default_read_only"), newSessionSettings(rs),
                    rs.getObject("started_at", OffsetDateTime.class),
                    rs.getObject("conf_loaded_at", OffsetDateTime.class), extensions);
        }

        /** {@code name=value} entries of pg_db_role_setting, as the row's {@code new_session_settings} has them. */
        static Map<String, String> newSessionSettings(ResultSet rs) throws SQLException {
            Map<String, String> settings = new HashMap<>();
            for (String entry : strings(rs.getArray("new_session_settings"))) {
                int eq = entry == null ? -1 : entry.indexOf('=');
                if (eq > 0) {
                    settings.put(entry.substring(0, eq), entry.substring(eq + 1));
                }
            }
            return settings;
        }

        private static String[] strings(Array array) throws SQLException {
            if (array == null) {
                return new String[0];
            }
            try {
                Object[] values = (Object[]) array.getArray();
                String[] out = new String[values.length];
                for (int i = 0; i < values.length; i++) {
                    out[i] = values[i] == null ? null : values[i].toString();
                }
                return out;
            } finally {
                array.free();
            }
        }
    }
}
