package io.ampora.dbguard.hikari;

import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.ConnectionSlots;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.ServerFacts;
import io.ampora.dbguard.check.Sql;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * Runbook 4, "too many app instances per Postgres max_connections": this pool's maximumPoolSize times
 * the expected number of instances, plus the sessions other applications hold, against the usable slots
 * ({@code max_connections - superuser_reserved_connections - reserved_connections}). Also counts the
 * sessions of the same application (by {@code application_name}) to spot more pools than configured.
 * FAIL when the fleet does not fit; WARN from {@code warnPercent} (90) of the usable slots.
 */
public final class PoolBudgetCheck implements DatabaseCheck {

    /** Share of the usable slots the fleet may need before the check warns. */
    public static final CheckSetting<Double> WARN_PERCENT =
            CheckSetting.percent("warnPercent", 90, "percentage of usable slots the fleet may need before warning");

    private static final String DEFAULT_APPLICATION_NAME = "PostgreSQL JDBC Driver";

    private final GuardedPool pool;
    private final CheckSetting<Long> instances;

    /** @param pool the pool whose fleet is weighed */
    public PoolBudgetCheck(GuardedPool pool) {
        this.pool = pool;
        this.instances = CheckSetting.count("instances", pool.config().instances(),
                "how many instances of the application run this pool against the server");
    }

    @Override
    public String id() {
        return "pool-budget";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.POOL_EXHAUSTED;
    }

    @Override
    public String description() {
        return "This pool's maximumPoolSize x instances plus other applications' sessions against usable connection slots.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(instances, WARN_PERCENT);
    }

    /**
     * {@link CheckScope#INSTANCE}: it judges this instance's pool against the server's slots.
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
    public CheckResult run(CheckContext context) throws Exception {
        ServerFacts facts = context.facts();
        ConnectionSlots slots = facts.connectionSlots();
        long usable = slots.usable();
        long n = Math.max(1, context.setting(instances));
        int size = pool.hikari().getMaximumPoolSize();
        String app = applicationName();

        long sameApp = 0;
        long others = 0;
        StringBuilder otherApps = new StringBuilder();
        try (Statement st = context.connection().createStatement();
             ResultSet rs = st.executeQuery(Sql.load(PoolBudgetCheck.class, id()))) {
            while (rs.next()) {
                String name = rs.getString("application_name");
                long sessions = rs.getLong("sessions");
                if (name.equals(app)) {
                    sameApp += sessions;
                } else if (!name.startsWith("ampora-dbguard")) {
                    others += sessions;
                    if (otherApps.length() < 300) {
                        otherApps.append(otherApps.length() == 0 ? "" : ", ")
                                .append(name.isEmpty() ? "(no application_name)" : name).append(' ').append(sessions);
                    }
                }
            }
        }
        long fleet = n * size;
        long needed = fleet + others;
        String usableText = usable + " usable (" + slots.breakdown() + ")";
        String arithmetic = n + " instance" + (n == 1 ? "" : "s") + " x " + size + " = " + fleet
                + (others > 0 ? " + " + others + (others == 1 ? " session" : " sessions") + " of other applications = "
                + needed : "") + " needed, " + usableText;
        double percent = 100.0 * needed / Math.max(1, usable);
        CheckStatus status = needed > usable ? CheckStatus.FAIL
                : percent >= context.setting(WARN_PERCENT) ? CheckStatus.WARN : CheckStatus.PASS;
        CheckResult.Builder result = CheckResult.builder(this).status(status)
                .summary(String.format(Locale.ROOT, "Pool %s: %s (%.0f%%).", pool.hikari().getPoolName(), arithmetic, percent));
        List<String> fixes = new ArrayList<>();
        if (status != CheckStatus.PASS) {
            long fit = Math.max(0, (usable - others) / n);
            result.finding(Finding.builder("The fleet's pools need " + needed + " connections but the server has " + usable
                            + " usable slots: " + arithmetic + ".")
                    .detail("instances", n)
                    .detail("maximumPoolSize", size)
                    .detail("otherSessions", others)
                    .detail("needed", needed)
                    .detail("usable", usable)
                    .detail("maxConnections", slots.maxConnections())
                    .build());
            fixes.add("Set maximumPoolSize to at most " + fit + " per instance (" + (usable - others) + " slots left"
                    + " by other applications / " + n + " instances), put PgBouncer in front, or raise max_connections.");
        }
        if (others > 0) {
            result.finding(Finding.builder("Other applications hold " + others + " sessions: " + otherApps + ".")
                    .detail("otherSessions", others).build());
        }
        connectionLimits(context, app, fleet, n, size, result, fixes);
        if (!fixes.isEmpty()) {
            result.remediation(String.join(" ", fixes));
        }
        if (sameApp > fleet) {
            result.atLeast(CheckStatus.WARN);
            result.finding(Finding.builder(sameApp + " sessions with application_name '" + app + "' are open, more than "
                            + n + " x " + size + " = " + fleet + " that the configured instances can hold: more instances"
                            + " (or other pools with the same application_name) run than the instances setting says.")
                    .detail("applicationName", app)
                    .detail("sessions", sameApp)
                    .detail("configuredInstances", n)
                    .build());
        }
        return result.build();
    }

    /**
     * The pool's role and the database may carry a CONNECTION LIMIT of their own, below the server's slots: the
     * fleet's pools then fail with "too many connections for role" (53300) although the server has room, and raising
     * max_connections does not help.
     */
    private void connectionLimits(CheckContext context, String app, long fleet, long n, int size,
                                  CheckResult.Builder result, List<String> fixes) throws SQLException {
        try (PreparedStatement st = context.connection().prepareStatement(
                Sql.load(PoolBudgetCheck.class, id() + "-limits"))) {
            st.setString(1, app);
            st.setString(2, pool.hikari().getUsername());
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next() || rs.getBoolean("rolsuper")) {
                    return; // a role that is not in pg_roles (the URL's user differs), or a superuser: held to neither
                }
                limit(context, result, fixes, "role", rs.getString("rolname"), rs.getString("role_ident"),
                        rs.getInt("rolconnlimit"), rs.getLong("role_other_sessions"), fleet, n, size);
                limit(context, result, fixes, "database", rs.getString("datname"), rs.getString("database_ident"),
                        rs.getInt("datconnlimit"), rs.getLong("database_other_sessions"), fleet, n, size);
            }
        }
    }

    private void limit(CheckContext context, CheckResult.Builder result, List<String> fixes, String kind, String name,
                       String ident, int limit, long others, long fleet, long n, int size) {
        if (limit < 0) {
            return;
        }
        long needed = fleet + others;
        double percent = 100.0 * needed / Math.max(1, limit);
        CheckStatus status = needed > limit ? CheckStatus.FAIL
                : percent >= context.setting(WARN_PERCENT) ? CheckStatus.WARN : CheckStatus.PASS;
        if (status == CheckStatus.PASS) {
            return;
        }
        String arithmetic = n + " instance" + (n == 1 ? "" : "s") + " x " + size + " = " + fleet
                + (others > 0 ? " + " + others + (others == 1 ? " session" : " sessions") + " of other applications"
                + " = " + needed : "");
        result.atLeast(status);
        result.finding(Finding.builder(String.format(Locale.ROOT, "The %s %s has CONNECTION LIMIT %d, and the fleet's"
                                + " pools need %s (%.0f%%): %s",
                        kind, name, limit, arithmetic, percent, needed > limit
                                ? "past it, new connections fail with \"too many connections for " + kind + "\" (53300)"
                                + " although the server may have free slots; raising max_connections does not help."
                                : "close to it."))
                .detail("limitOf", kind)
                .detail(kind, name)
                .detail("connectionLimit", limit)
                .detail("otherSessions", others)
                .detail("needed", needed)
                .build());
        long fit = Math.max(0, (limit - others) / n);
        fixes.add("Set maximumPoolSize to at most " + fit + " per instance for the " + kind + "'s CONNECTION"
                + " LIMIT " + limit + ", or raise it: ALTER " + kind.toUpperCase(Locale.ROOT) + " " + ident
                + " CONNECTION LIMIT " + Math.max(limit, needed) + "; (-1: none).");
    }

    /** The application_name the pool's sessions carry: its data source property, the URL's, or pgjdbc's default. */
    String applicationName() {
        Properties p = pool.hikari().getDataSourceProperties();
        for (String key : List.of("ApplicationName", "applicationName")) {
            if (p.getProperty(key) != null) {
                return p.getProperty(key);
            }
        }
        String url = pool.hikari().getJdbcUrl();
        int q = url == null ? -1 : url.indexOf('?');
        if (q >= 0) {
            for (String pair : url.substring(q + 1).split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).equalsIgnoreCase("ApplicationName")) {
                    return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                }
            }
        }
        return DEFAULT_APPLICATION_NAME;
    }
}
