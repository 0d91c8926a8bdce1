package io.ampora.dbguard.check;

import java.util.Map;
import java.util.Optional;

/**
 * What a report knows about the server before any check runs, per report and per target.
 *
 * <p>Read per report: version, database, role and its privileges, recovery state and extensions (one small
 * query). Read once and kept while the server stays the same: {@link #settings()} and
 * {@link #sessionTls()}, read again after a restart ({@code pg_postmaster_start_time()} changed), a
 * configuration reload ({@code pg_conf_load_time()} newer), a promotion or demotion, a change of role or
 * database, and at least every 5 minutes (settings given with {@code ALTER ROLE/DATABASE ... SET} reach
 * new sessions without a reload).
 *
 * <p>Checks decide by feature, not by guessing: {@link #versionNum()} for catalog differences,
 * {@link #extensions()} for installed extension versions (pg_stat_statements' columns follow its
 * version), {@link #setting(String)} for configuration and {@link #canReadAllStats()} to know whether
 * other sessions' queries are visible.
 *
 * @param versionNum      {@code server_version_num}, e.g. 170006
 * @param version         {@code server_version}, e.g. "17.6"
 * @param database        the current database
 * @param currentUser     {@code current_user}
 * @param sessionUser     {@code session_user}
 * @param superuser       whether the current role is a superuser
 * @param bypassRls       whether the current role has BYPASSRLS
 * @param canReadAllStats whether the role sees other sessions' queries and states
 *                        (superuser or member of {@code pg_read_all_stats}, part of {@code pg_monitor})
 * @param monitor         whether the role is a member of {@code pg_monitor}
 * @param inRecovery      whether the server is a standby ({@code pg_is_in_recovery()})
 * @param settings        every {@code pg_settings} entry visible to the role: name to raw value
 * @param extensions      installed extensions in this database: name to version
 * @param sessionTls      whether the session that read the facts uses TLS; empty when not read
 * @param newSessionSettings what {@code ALTER ROLE/DATABASE ... SET} give a new session of the login role in this
 *                        database ({@code pg_db_role_setting}, the most specific level winning): name to value as
 *                        given there. They reach new sessions without a reload, so a pooled session that started
 *                        before them runs without them; built-in settings only (a custom one, with a dot in its
 *                        name, may hold a secret); empty when none (or not read)
 */
public record ServerFacts(
        int versionNum,
        String version,
        String database,
        String currentUser,
        String sessionUser,
        boolean superuser,
        boolean bypassRls,
        boolean canReadAllStats,
        boolean monitor,
        boolean inRecovery,
        Map<String, String> settings,
        Map<String, String> extensions,
        Optional<SessionTls> sessionTls,
        Map<String, String> newSessionSettings) {

    /** Freezes the maps. */
    public ServerFacts {
        settings = Map.copyOf(settings);
        extensions = Map.copyOf(extensions);
        sessionTls = sessionTls == null ? Optional.empty() : sessionTls;
        newSessionSettings = newSessionSettings == null ? Map.of() : Map.copyOf(newSessionSettings);
    }

    /**
     * Facts without the settings of new sessions (the form before {@link #newSessionSettings()} existed).
     *
     * @param versionNum      {@code server_version_num}
     * @param version         {@code server_version}
     * @param database        the current database
     * @param currentUser     {@code current_user}
     * @param sessionUser     {@code session_user}
     * @param superuser       whether the current role is a superuser
     * @param bypassRls       whether the current role has BYPASSRLS
     * @param canReadAllStats whether the role sees other sessions' queries and states
     * @param monitor         whether the role is a member of {@code pg_monitor}
     * @param inRecovery      whether the server is a standby
     * @param settings        {@code pg_settings}: name to raw value
     * @param extensions      installed extensions: name to version
     * @param sessionTls      whether the session that read the facts uses TLS; empty when not read
     */
    public ServerFacts(int versionNum, String version, String database, String currentUser, String sessionUser,
                       boolean superuser, boolean bypassRls, boolean canReadAllStats, boolean monitor,
                       boolean inRecovery, Map<String, String> settings, Map<String, String> extensions,
                       Optional<SessionTls> sessionTls) {
        this(versionNum, version, database, currentUser, sessionUser, superuser, bypassRls, canReadAllStats, monitor,
                inRecovery, settings, extensions, sessionTls, Map.of());
    }

    /**
     * Facts without the session's TLS state (the form before {@link #sessionTls()} existed).
     *
     * @param versionNum      {@code server_version_num}
     * @param version         {@code server_version}
     * @param database        the current database
     * @param currentUser     {@code current_user}
     * @param sessionUser     {@code session_user}
     * @param superuser       whether the current role is a superuser
     * @param bypassRls       whether the current role has BYPASSRLS
     * @param canReadAllStats whether the role sees other sessions' queries and states
     * @param monitor         whether the role is a member of {@code pg_monitor}
     * @param inRecovery      whether the server is a standby
     * @param settings        {@code pg_settings}: name to raw value
     * @param extensions      installed extensions: name to version
     */
    public ServerFacts(int versionNum, String version, String database, String currentUser, String sessionUser,
                       boolean superuser, boolean bypassRls, boolean canReadAllStats, boolean monitor,
                       boolean inRecovery, Map<String, String> settings, Map<String, String> extensions) {
        this(versionNum, version, database, currentUser, sessionUser, superuser, bypassRls, canReadAllStats, monitor,
                inRecovery, settings, extensions, Optional.empty(), Map.of());
    }

    /** @return the major version, e.g. 17 */
    public int majorVersion() {
        return versionNum / 10000;
    }

    /**
     * Reads a server setting as the server reports it in {@code pg_settings.setting} (in the setting's
     * base unit, e.g. milliseconds for {@code statement_timeout}).
     *
     * @param name the setting name
     * @return the value, empty when the server has no such setting (e.g. {@code reserved_connections} before 16)
     */
    public Optional<String> setting(String name) {
        return Optional.ofNullable(settings.get(name));
    }

    /**
     * Reads what {@code ALTER ROLE/DATABASE ... SET} give a new session of the login role in this database, which
     * this report's session may not have yet (a pooled session that started before the change keeps its values).
     *
     * @param name the setting name
     * @return the value as given to ALTER ... SET, empty when no such entry applies
     */
    public Optional<String> newSessionSetting(String name) {
        return Optional.ofNullable(newSessionSettings.get(name));
    }

    /**
     * Reads a numeric setting.
     *
     * @param name         the setting name
     * @param defaultValue the value to use when the server has no such setting
     * @return the value
     */
    public long settingAsLong(String name, long defaultValue) {
        String raw = settings.get(name);
        if (raw == null || raw.isBlank()) {
            return defaultValue;
        }
        try {
            return Long.parseLong(raw.trim());
        } catch (NumberFormatException e) {
            return defaultValue;
        }
    }

    /**
     * The client connection slots, from {@code max_connections}, {@code superuser_reserved_connections} and
     * {@code reserved_connections} (absent before 16, read as 0).
     *
     * @return the slots
     */
    public ConnectionSlots connectionSlots() {
        return new ConnectionSlots(settingAsLong("max_connections", 100),
                settingAsLong("superuser_reserved_connections", 3), settingAsLong("reserved_connections", 0));
    }

    /**
     * Tells whether an extension is installed in the database.
     *
     * @param name the extension name, e.g. {@code pg_stat_statements}
     * @return its version, empty when not installed
     */
    public Optional<String> extension(String name) {
        return Optional.ofNullable(extensions.get(name));
    }
}
