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
 * statement for the facts instead of three, and no {@code pg_stat_ssl} read.
 *
 * <p>{@code pg_conf_load_time()} is per backend: a session alive during a reload answers when it itself
 * re-read the files (at its next command), a newer session the postmaster's time. Kept facts are therefore
 * re-read when the time is <em>newer</em> than the one they were read with, so each pooled session that
 * had not yet seen a reload causes at most one re-read, and a new session never causes one.
 */
final class ServerFactsReader {

    /** Settings given with ALTER ROLE/DATABASE ... SET reach new sessions without a reload: re-read this often. */
    static final Duration MAX_AGE = Duration.ofMinutes(5);

    /** What the kept settings were read with. */
    private record Kept(Map<String, String> settings, Optional<SessionTls> tls, OffsetDateTime startedAt,
                        OffsetDateTime confLoadedAt, boolean inRecovery, String database, String user, long readAt) {
    }

    private volatile Kept kept;

    ServerFacts read(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement()) {
            Row row;
            try (ResultSet rs = st.executeQuery(Sql.load(ServerFactsReader.class, "server-facts"))) {
                if (!rs.next()) {
                    throw new SQLException("the current role is not in pg_roles; cannot read server facts");
                }
                row = Row.of(rs);
            }
            Kept k = kept;
            long now = System.nanoTime();
            if (k == null || !k.startedAt().isEqual(row.startedAt) || row.confLoadedAt.isAfter(k.confLoadedAt())
                    || k.inRecovery() != row.inRecovery || !k.database().equals(row.database) || !k.user().equals(row.user)
                    || now - k.readAt() > MAX_AGE.toNanos()) {
                Map<String, String> settings = new HashMap<>();
                try (ResultSet rs = st.executeQuery(Sql.load(ServerFactsReader.class, "server-settings"))) {
                    while (rs.next()) {
                        settings.put(rs.getString(1), rs.getString(2) == null ? "" : rs.getString(2));
                    }
                }
                Optional<SessionTls> tls = Optional.empty();
                try (ResultSet rs = st.executeQuery(Sql.load(ServerFactsReader.class, "session-tls"))) {
                    if (rs.next()) {
                        tls = Optional.of(new SessionTls(rs.getBoolean("ssl"), rs.getString("tls_version"),
                                rs.getString("cipher"), rs.getString("server_addr"), rs.getBoolean("loopback")));
                    }
                }
                OffsetDateTime loaded = k != null && k.confLoadedAt().isAfter(row.confLoadedAt) && k.startedAt().isEqual(row.startedAt)
                        ? k.confLoadedAt() : row.confLoadedAt;
                k = new Kept(Map.copyOf(settings), tls, row.startedAt, loaded, row.inRecovery, row.database, row.user, now);
                kept = k;
            }
            return new ServerFacts(row.versionNum, row.version, row.database, row.user, row.sessionUser, row.superuser,
                    row.bypassRls, row.readAllStats, row.monitor, row.inRecovery, k.settings(), row.extensions, k.tls());
        }
    }

    /** The per-report row. */
    private record Row(int versionNum, String version, String database, String user, String sessionUser,
                       boolean superuser, boolean bypassRls, boolean readAllStats, boolean monitor, boolean inRecovery,
                       OffsetDateTime startedAt, OffsetDateTime confLoadedAt, Map<String, String> extensions) {
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
                    rs.getBoolean("in_recovery"), rs.getObject("started_at", OffsetDateTime.class),
                    rs.getObject("conf_loaded_at", OffsetDateTime.class), extensions);
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
