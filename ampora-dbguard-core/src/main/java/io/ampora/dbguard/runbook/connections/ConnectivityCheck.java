package io.ampora.dbguard.runbook.connections;

import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.ConnectionAttempt;
import io.ampora.dbguard.check.ConnectionInfo;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.NoFreePoolConnectionException;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.ServerFacts;
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.check.Target;
import io.ampora.dbguard.internal.SettingValues;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Runbook 1, "Cannot connect": reports whether the report's first connection succeeded and, when it did
 * not, names the cause with its fix (host not resolvable, refused, timeout, wrong password, no
 * pg_hba.conf entry, missing database, too many clients, server starting or recovering, TLS), quoting
 * the driver's message verbatim with secrets masked.
 *
 * <p>A connection that succeeds to a standby in recovery fails too, unless told otherwise: the guard's
 * primary target is where the application writes, and a standby refuses every write ("cannot execute
 * INSERT in a read-only transaction", SQLSTATE 25006). That is what a URL, DNS name or virtual IP that still
 * names the old primary after a failover reaches, or a multi-host URL that lets pgjdbc pick any host. A
 * service that only reads and is meant to use a standby sets {@link #EXPECT_PRIMARY} to false, or asks pgjdbc
 * for a standby in its URL ({@code targetServerType=secondary} or {@code preferSecondary}).
 */
public final class ConnectivityCheck implements DatabaseCheck {

    /** Whether the database must accept writes; a standby in recovery then fails the check. */
    public static final CheckSetting<Boolean> EXPECT_PRIMARY = CheckSetting.flag("expectPrimary", true,
            "whether the database must accept writes: FAIL when it is a standby in recovery (false for a service"
                    + " that only reads from a standby)");

    private static final String DEFAULT_READ_ONLY = "default_transaction_read_only";
    /** The {@code pg_settings.source} of values from {@code pg_db_role_setting}. */
    private static final Set<String> CATALOG_LEVELS = Set.of("database", "user", "database user", "global");
    private static final String RECYCLE = "HikariPoolMXBean.softEvictConnections()";

    /** pgjdbc's {@code targetServerType} values that ask for a standby. */
    private static final Set<String> ASKS_FOR_STANDBY = Set.of("secondary", "slave", "prefersecondary", "preferslave");

    @Override
    public String id() {
        return "connectivity";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.CANNOT_CONNECT;
    }

    @Override
    public String description() {
        return "Connects to the database and, on failure, names the cause and its fix.";
    }

    @Override
    public boolean requiresConnection() {
        return false;
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(EXPECT_PRIMARY);
    }

    /**
     * {@link CheckScope#INSTANCE}: its answer is this instance's network path and credentials.
     *
     * @return {@link CheckScope#INSTANCE}
     */
    @Override
    public CheckScope scope() {
        return CheckScope.INSTANCE;
    }

    /**
     * {@link CheckCost#CHEAP}: a few rows from statistics views.
     *
     * @return {@link CheckCost#CHEAP}
     */
    @Override
    public CheckCost cost() {
        return CheckCost.CHEAP;
    }

    @Override
    public CheckResult run(CheckContext context) {
        ConnectionAttempt attempt = context.connectionAttempt(Target.PRIMARY);
        ConnectionInfo info = context.options().connection();
        if (attempt.succeeded()) {
            ServerFacts facts = attempt.facts().orElseThrow();
            String connected = "Connected in " + SettingValues.format(attempt.duration()) + " as " + facts.currentUser()
                    + " to " + facts.database() + " (PostgreSQL " + facts.version();
            if (!facts.inRecovery()) {
                if (context.setting(EXPECT_PRIMARY)) {
                    if (facts.setting(DEFAULT_READ_ONLY).orElse("off").equals("on")) {
                        return readOnlyByDefault(context, connected);
                    }
                    if (newSessionsReadOnly(facts)) {
                        return readOnlyForNewSessions(context, connected);
                    }
                }
                return CheckResult.pass(this, connected + ").");
            }
            String targetServerType = info.property("targetServerType").orElse("any");
            if (!context.setting(EXPECT_PRIMARY)) {
                return CheckResult.pass(this, connected + ", a standby in recovery; connectivity.expectPrimary is off).");
            }
            if (ASKS_FOR_STANDBY.contains(targetServerType.toLowerCase(Locale.ROOT))) {
                return CheckResult.pass(this, connected + ", a standby in recovery, as the URL asks: targetServerType="
                        + targetServerType + ").");
            }
            return onStandby(connected, info, targetServerType);
        }
        CheckResult.Builder result = CheckResult.builder(this).status(CheckStatus.FAIL);
        ConnectionDiagnosis diagnosis = ConnectionFailureClassifier.diagnose(attempt);
        NoFreePoolConnectionException noFree = ConnectionFailureClassifier.noFreePoolConnection(
                attempt.error().orElse(null)).orElse(null);
        Finding.Builder finding = Finding.builder("Cannot connect: " + diagnosis.cause().meaning() + ".")
                .detail("cause", diagnosis.cause().name())
                .detail("driverMessage", diagnosis.driverMessage())
                .detail("sqlState", diagnosis.sqlState());
        if (info.isKnown()) {
            finding.detail("url", info.maskedUrl())
                    .detail("host", info.host())
                    .detail("port", info.port())
                    .detail("database", info.database())
                    .detail("user", info.user());
        }
        finding.detail("elapsedMs", attempt.duration().toMillis());
        // An exception of the DataSource's own (a wrapper refusing the guard's session) is what explains the
        // failure: name it in the summary, never only in the details.
        String thrown = "";
        Throwable own = noFree != null ? null
                : ConnectionFailureClassifier.ownException(attempt.error().orElse(null)).orElse(null);
        if (noFree != null) {
            finding.detail("pool", noFree.pool())
                    .detail("borrowed", noFree.borrowed())
                    .detail("total", noFree.total())
                    .detail("maximumPoolSize", noFree.max())
                    .detail("waiting", noFree.waiting());
            thrown = " " + noFree.getMessage() + ".";
        } else if (own != null) {
            finding.detail("exception", own.getClass().getName());
            thrown = " It threw " + own.getClass().getName() + (own.getMessage() == null ? "" : ": " + own.getMessage())
                    + (own.getMessage() != null && own.getMessage().endsWith(".") ? "" : ".");
        }
        return result.summary("Cannot connect" + (info.isKnown() ? " to " + info.host() + ":" + info.port() : "")
                        + ": " + diagnosis.cause().meaning() + "." + thrown)
                .finding(finding.build())
                .remediation(ConnectionFailureClassifier.remediation(diagnosis, info.isKnown() ? info.user() : null,
                        info.isKnown() ? info.database() : null))
                .build();
    }

    /**
     * New sessions are read-only by default ({@code default_transaction_read_only = on}, from {@code ALTER DATABASE
     * / ROLE ... SET}, the configuration, or a provider that does it when a storage quota is exceeded): it connects,
     * reads work, and every write fails with 25006, as on a standby. When this session has it from the catalog and
     * the catalog no longer has it, it was reset after this (pooled) session started: only the recycling is left.
     */
    private CheckResult readOnlyByDefault(CheckContext context, String connected) {
        String source = null;
        String database = "<database>";
        String role = "<role>";
        try (Statement st = context.connection().createStatement();
             ResultSet rs = st.executeQuery(Sql.load(ConnectivityCheck.class, id() + "-read-only"))) {
            if (rs.next()) {
                source = "on".equals(rs.getString("setting")) ? rs.getString("source") : null;
                database = rs.getString("database_ident");
                role = rs.getString("role_ident");
            }
        } catch (SQLException | RuntimeException e) {
            // the source is detail: the finding stands without it
        }
        Origin origin = Origin.of(source, database, role);
        boolean fromCatalog = source != null && CATALOG_LEVELS.contains(source);
        if (fromCatalog && !newSessionsReadOnly(context.facts())) {
            Finding finding = Finding.builder("This session is read-only by default: default_transaction_read_only"
                            + " was on, " + origin.where() + ", when it started, and has been reset since. New sessions"
                            + " write; sessions opened before the reset (a pool's) still fail every write with 25006.")
                    .detail("defaultTransactionReadOnly", "on")
                    .detail("source", source)
                    .detail("newSessions", "off")
                    .build();
            return CheckResult.builder(this).status(CheckStatus.FAIL)
                    .summary(connected + "), but this session is still read-only (default_transaction_read_only = on, "
                            + origin.where() + ", reset since it started): its writes fail with 25006.")
                    .finding(finding)
                    .remediation("The setting is already reset; replace the sessions opened before: "
                            + RECYCLE + " (or restart the service).")
                    .build();
        }
        Finding finding = Finding.builder("New sessions of this database are read-only: default_transaction_read_only"
                        + " is on, " + origin.where() + ". Every INSERT, UPDATE and DELETE fails with \"cannot execute"
                        + " ... in a read-only transaction\" (SQLSTATE 25006); reads work.")
                .detail("defaultTransactionReadOnly", "on")
                .detail("source", source == null ? "unknown" : source)
                .build();
        return CheckResult.builder(this).status(CheckStatus.FAIL)
                .summary(connected + "), but new sessions are read-only (default_transaction_read_only = on, "
                        + origin.where() + "): every write fails with 25006.")
                .finding(finding)
                .remediation(origin.fix() + " Hosting providers set it when a storage quota is exceeded: free space or"
                        + " grow the volume first (disk-usage). New sessions pick the change up; a pool's open ones keep"
                        + " what they started with until recycled (" + RECYCLE + "). A service meant to only read sets"
                        + " connectivity.expectPrimary to false.")
                .build();
    }

    /**
     * This session writes, but {@code ALTER DATABASE / ROLE ... SET default_transaction_read_only = on} came after it
     * started: every new session is read-only. A pool keeps working on its open sessions and fails writes one
     * connection at a time as it replaces them ({@code maxLifetime}, a dropped connection, growth), and a new
     * instance fails from its first write: a slow outage that the pool's own sessions would not show. Unless the
     * application's connection settings ask for the value themselves (source {@code client}: new sessions get that
     * too).
     */
    private CheckResult readOnlyForNewSessions(CheckContext context, String connected) {
        String level = null;
        String sessionSource = null;
        String database = "<database>";
        String role = "<role>";
        try (Statement st = context.connection().createStatement();
             ResultSet rs = st.executeQuery(Sql.load(ConnectivityCheck.class, id() + "-read-only-pending"))) {
            if (rs.next()) {
                level = rs.getString("level");
                sessionSource = rs.getString("session_source");
                database = rs.getString("database_ident");
                role = rs.getString("role_ident");
            }
        } catch (SQLException | RuntimeException e) {
            // the level is detail: the finding stands without it
        }
        if ("client".equals(sessionSource)) {
            return CheckResult.pass(this, connected + "; the connection settings ask for"
                    + " default_transaction_read_only = off, which new sessions get too).");
        }
        Origin origin = Origin.of(level, database, role);
        Finding finding = Finding.builder("New sessions of this database are read-only: default_transaction_read_only"
                        + " = on was set " + origin.where().substring("set ".length()) + " after this session started."
                        + " Sessions opened before it still write; every new one (a pool replacing or adding a"
                        + " connection, another instance starting) fails every INSERT, UPDATE and DELETE with \"cannot"
                        + " execute ... in a read-only transaction\" (SQLSTATE 25006).")
                .detail("defaultTransactionReadOnly", "off")
                .detail("newSessions", "on")
                .detail("source", level == null ? "unknown" : level)
                .build();
        return CheckResult.builder(this).status(CheckStatus.FAIL)
                .summary(connected + "), but new sessions are read-only (default_transaction_read_only = on, "
                        + origin.where() + ", after this session started): their writes fail with 25006.")
                .finding(finding)
                .remediation(origin.fix() + " Hosting providers set it when a storage quota is exceeded: free space or"
                        + " grow the volume first (disk-usage). A service meant to only read sets"
                        + " connectivity.expectPrimary to false.")
                .build();
    }

    private static boolean newSessionsReadOnly(ServerFacts facts) {
        return facts.newSessionSetting(DEFAULT_READ_ONLY).map(ConnectivityCheck::isTrue).orElse(false);
    }

    /** PostgreSQL's boolean input ({@code parse_bool}): on, true, yes, 1 and their prefixes. */
    static boolean isTrue(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        return v.equals("1") || v.equals("on") || (!v.isEmpty() && ("true".startsWith(v) || "yes".startsWith(v)));
    }

    /** Where the setting was made, in words, and how to reset it there. */
    private record Origin(String where, String fix) {

        static Origin of(String source, String database, String role) {
            // a read-only session cannot run ALTER DATABASE/ROLE unless its transaction asks for read-write itself
            String begin = "BEGIN READ WRITE; ";
            String commit = " COMMIT;";
            return switch (source == null ? "" : source) {
                case "database" -> new Origin("set for the database (ALTER DATABASE ... SET)",
                        "As the database's owner or a superuser: " + begin + "ALTER DATABASE " + database
                                + " RESET default_transaction_read_only;" + commit);
                case "user" -> new Origin("set for the role (ALTER ROLE ... SET)",
                        "As a superuser or a role with CREATEROLE: " + begin + "ALTER ROLE " + role
                                + " RESET default_transaction_read_only;" + commit);
                case "database user" -> new Origin("set for the role in this database (ALTER ROLE ... IN DATABASE ... SET)",
                        "As a superuser or a role with CREATEROLE: " + begin + "ALTER ROLE " + role + " IN DATABASE "
                                + database + " RESET default_transaction_read_only;" + commit);
                case "global" -> new Origin("set for every role (ALTER ROLE ALL ... SET)",
                        "As a superuser: " + begin + "ALTER ROLE ALL RESET default_transaction_read_only;" + commit);
                case "configuration file", "command line" -> new Origin("set in the server's configuration (" + source + ")",
                        "As a superuser: ALTER SYSTEM RESET default_transaction_read_only; SELECT pg_reload_conf(); (or"
                                + " remove it from postgresql.conf or the provider's parameter group).");
                case "client", "session" -> new Origin("asked for by the application's own connection settings ("
                        + source + ")", "Remove it from the connection settings (options=-c default_transaction_read_only=on,"
                        + " a session-level SET), or, for a service meant to only read, set connectivity.expectPrimary"
                        + " to false.");
                default -> new Origin("set from where this role cannot tell",
                        "Find where it is set (SELECT source FROM pg_settings WHERE name = 'default_transaction_read_only'"
                                + " in a new session) and reset it there: ALTER DATABASE " + database + " RESET ..., ALTER"
                                + " ROLE " + role + " RESET ..., or ALTER SYSTEM RESET ... (the first two inside BEGIN READ"
                                + " WRITE; ... COMMIT;).");
            };
        }
    }

    /**
     * The application's database is a standby: it connects, and then every write fails.
     */
    private CheckResult onStandby(String connected, ConnectionInfo info, String targetServerType) {
        Finding.Builder finding = Finding.builder("The database the application writes to is a standby in recovery"
                        + " (pg_is_in_recovery() is true): it refuses every write.")
                .detail("inRecovery", true)
                .detail("targetServerType", targetServerType);
        if (info.isKnown()) {
            finding.detail("url", info.maskedUrl())
                    .detail("host", info.host())
                    .detail("port", info.port())
                    .detail("database", info.database());
        }
        boolean severalHosts = info.maskedUrl().matches("(?i)jdbc:postgresql://[^/?]*,.*");
        return CheckResult.builder(this).status(CheckStatus.FAIL)
                .summary(connected + "), but it is a standby in recovery: every write fails with \"cannot execute ..."
                        + " in a read-only transaction\" (SQLSTATE 25006), so the application can neither save nor"
                        + " migrate.")
                .finding(finding.build())
                .remediation("Point the application at the primary. After a failover a URL, DNS name or virtual IP that"
                        + " still names the old primary reaches it as a standby; this standby names the primary it"
                        + " streams from: SELECT sender_host, sender_port FROM pg_stat_wal_receiver; (a role needs"
                        + " pg_read_all_stats to see them)."
                        + (severalHosts ? " The URL lists several hosts and pgjdbc connects to any of them (targetServerType="
                                + targetServerType + "): add targetServerType=primary."
                                : " With several hosts in the URL, add targetServerType=primary so pgjdbc picks the primary"
                                + " (jdbc:postgresql://host1,host2/db?targetServerType=primary).")
                        + " A service that only reads and is meant to use a standby: set connectivity.expectPrimary=false"
                        + " (doctor: --set connectivity.expectPrimary=false).")
                .build();
    }
}
