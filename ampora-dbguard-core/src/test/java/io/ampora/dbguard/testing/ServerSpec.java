package io.ampora.dbguard.testing;

import java.util.Map;
import java.util.TreeMap;

/**
 * What a test needs from its PostgreSQL server: a version (empty for the build's default), extra
 * {@code postgresql.conf} settings and whether non-superuser roles must authenticate with a password.
 * Tests with the same spec share one server per JVM.
 *
 * @param version      the major version ("13" to "18"), or "" for the default ({@code -Dampora.test.pg})
 * @param settings     server settings, e.g. {@code max_connections=20}
 * @param passwordAuth whether roles other than the superuser need a password (md5/scram) over TCP
 */
public record ServerSpec(String version, Map<String, String> settings, boolean passwordAuth) {

    /** Freezes and sorts the settings so equal specs compare equal. */
    public ServerSpec {
        version = version == null ? "" : version;
        settings = Map.copyOf(new TreeMap<>(settings == null ? Map.of() : settings));
    }

    /** @return the default server: default version, no extra settings, trust authentication */
    public static ServerSpec defaults() {
        return new ServerSpec("", Map.of(), false);
    }

    /**
     * @param major a major version, "13" to "18"
     * @return a copy on that version
     */
    public ServerSpec onVersion(String major) {
        return new ServerSpec(major, settings, passwordAuth);
    }

    /** @return whether this needs anything a shared external server cannot promise */
    public boolean isCustom() {
        return !settings.isEmpty() || passwordAuth || !version.isEmpty();
    }
}
