package io.ampora.dbguard.runbook.locks;

import io.ampora.dbguard.check.GuardOptions;
import io.ampora.dbguard.internal.SettingValues;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * What the lock checks say about a session: who it is, whether it belongs to the application, and
 * what to do with it. The runbook's rule: a session that is not the application's own (a psql left
 * open) is terminated; an application session is captured and reported as a bug.
 */
final class Sessions {

    /** application_name prefixes of interactive clients, which are never the application. */
    private static final List<String> INTERACTIVE = List.of("psql", "pgadmin", "dbeaver", "datagrip", "tableplus",
            "postico", "pgcli", "navicat", "heidisql", "azure data studio", "beekeeper", "dbvisualizer", "sqlworkbench");

    private Sessions() {
    }

    /**
     * Tells whether a session belongs to the application: its application_name equals the configured
     * one; without one configured, anything but an empty name or a known interactive client.
     */
    static boolean isApplication(String applicationName, GuardOptions options) {
        if (options.applicationName().isPresent()) {
            return options.applicationName().get().equals(applicationName);
        }
        String name = applicationName.trim().toLowerCase(Locale.ROOT);
        return !name.isEmpty() && INTERACTIVE.stream().noneMatch(name::startsWith);
    }

    /** "pid 4711 (psql, user alice)". */
    static String describe(int pid, String applicationName, String user) {
        return "pid " + pid + " (" + (applicationName.isEmpty() ? "no application_name" : applicationName)
                + ", user " + (user.isEmpty() ? "unknown" : user) + ")";
    }

    /** The sentence saying what to do with a session, by who owns it. */
    static String action(int pid, String applicationName, GuardOptions options) {
        if (!isApplication(applicationName, options)) {
            return "It is not an application session: terminate it with " + terminate(pid) + ".";
        }
        if (options.applicationName().isPresent()) {
            return "It is an application session (" + applicationName + "): capture its query and the application's"
                    + " stack trace and open an issue; do not terminate it blindly.";
        }
        return "It looks like an application session (" + applicationName + "; set the guard's application name to"
                + " tell for sure): capture its query and the application's stack trace and open an issue.";
    }

    /** The statement that ends a session. */
    static String terminate(int pid) {
        return "SELECT pg_terminate_backend(" + pid + ")";
    }

    /** The grant that lets a role (already quoted, from quote_ident) see other roles' sessions. */
    static String grant(String quotedRole) {
        return "GRANT pg_read_all_stats TO " + quotedRole;
    }

    /** A duration as reports show it, from seconds. */
    static String age(double seconds) {
        return SettingValues.format(Duration.ofMillis(Math.round(seconds * 1000)));
    }

    /** "AccessExclusiveLock" to "ACCESS EXCLUSIVE", the spelling of LOCK TABLE. */
    static String lockMode(String mode) {
        String bare = mode.endsWith("Lock") ? mode.substring(0, mode.length() - 4) : mode;
        return bare.replaceAll("([a-z])([A-Z])", "$1 $2").toUpperCase(Locale.ROOT);
    }
}
