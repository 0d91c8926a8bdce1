package io.ampora.dbguard.runbook.connections;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.ConnectionSlots;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.ServerFacts;
import io.ampora.dbguard.check.SettingOrder;
import io.ampora.dbguard.check.Sql;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Runbook 1 and 4: "Postgres max_connections not exceeded?". Counts client sessions against the usable
 * slots ({@code max_connections} minus {@code superuser_reserved_connections} minus
 * {@code reserved_connections} from PostgreSQL 16) and shows who holds them by application, user and
 * state. WARN from {@code warnPercent} (80), FAIL from {@code failPercent} (95). Without
 * {@code pg_read_all_stats} other roles' sessions still count, but their state is hidden: it says so.
 */
public final class ConnectionHeadroomCheck implements DatabaseCheck {

    /** Usage from which the check warns. */
    public static final CheckSetting<Double> WARN_PERCENT =
            CheckSetting.percent("warnPercent", 80, "percentage of usable connection slots in use from which to warn");
    /** Usage from which the check fails. */
    public static final CheckSetting<Double> FAIL_PERCENT =
            CheckSetting.percent("failPercent", 95, "percentage of usable connection slots in use from which to fail");

    private static final int MAX_GROUPS = 10;

    @Override
    public String id() {
        return "connection-headroom";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.CANNOT_CONNECT;
    }

    @Override
    public String description() {
        return "Client sessions against usable connection slots, with who holds them.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(WARN_PERCENT, FAIL_PERCENT);
    }

    @Override
    public List<SettingOrder<?>> settingOrders() {
        return List.of(SettingOrder.higherIsWorse(WARN_PERCENT, FAIL_PERCENT));
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
     * {@link CheckCost#CHEAP}: a few rows from statistics views.
     *
     * @return {@link CheckCost#CHEAP}
     */
    @Override
    public CheckCost cost() {
        return CheckCost.CHEAP;
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
        ServerFacts facts = context.facts();
        ConnectionSlots slots = facts.connectionSlots();
        long max = slots.maxConnections();
        long superuserReserved = slots.superuserReserved();
        long reserved = slots.reserved();
        long usable = Math.max(1, slots.usable());

        Map<String, Group> groups = new LinkedHashMap<>();
        long total = 0;
        long hidden = 0;
        try (Statement st = context.connection().createStatement();
             ResultSet rs = st.executeQuery(Sql.load(ConnectionHeadroomCheck.class, id()))) {
            while (rs.next()) {
                long n = rs.getLong("sessions");
                total += n;
                if (rs.getBoolean("hidden")) {
                    hidden += n;
                }
                String app = rs.getString("application_name");
                String user = rs.getString("user_name");
                String state = rs.getBoolean("hidden") ? "hidden" : rs.getString("state").isEmpty() ? "unknown" : rs.getString("state");
                groups.computeIfAbsent(app + "\u0000" + user, k -> new Group(app, user)).add(state, n);
            }
        }
        double percent = 100.0 * total / usable;
        double warn = context.setting(WARN_PERCENT);
        double fail = context.setting(FAIL_PERCENT);
        CheckStatus status = percent >= fail ? CheckStatus.FAIL : percent >= warn ? CheckStatus.WARN : CheckStatus.PASS;
        String usage = String.format(Locale.ROOT, "%d of %d usable connection slots in use (%.0f%%)", total, usable, percent);
        CheckResult.Builder result = CheckResult.builder(this).status(status)
                .summary(usage + "; max_connections " + max + ", " + superuserReserved + " reserved for superusers"
                        + (reserved > 0 ? ", " + reserved + " reserved" : "") + ".");
        List<Group> sorted = new ArrayList<>(groups.values());
        sorted.sort(Comparator.comparingLong(Group::total).reversed());
        List<String> fixes = new ArrayList<>();
        if (status != CheckStatus.PASS) {
            for (Group g : sorted.subList(0, Math.min(MAX_GROUPS, sorted.size()))) {
                result.finding(g.finding());
            }
            fixes.add("Find who holds the connections above (SELECT * FROM pg_stat_activity WHERE state != 'idle')."
                    + " Keep the sum of all instances' pool sizes below " + usable + " usable slots: reduce"
                    + " per-instance maximumPoolSize, put PgBouncer in front, or raise max_connections.");
        }
        connectionLimits(context, warn, fail, result, fixes);
        if (!fixes.isEmpty()) {
            result.remediation(String.join(" ", fixes));
        }
        if (hidden > 0 && !facts.canReadAllStats()) {
            result.finding(Finding.builder(hidden + (hidden == 1 ? " session" : " sessions") + " of other roles counted, but their state is hidden"
                            + " from " + facts.currentUser() + ".")
                    .detail("hiddenSessions", hidden)
                    .detail("grant", "GRANT pg_read_all_stats TO " + facts.currentUser())
                    .build());
        }
        return result.build();
    }

    /**
     * The role's and the database's own CONNECTION LIMIT, below the server's slots: at it, new connections fail with
     * "too many connections for role" (53300) however many slots the server has left.
     */
    private void connectionLimits(CheckContext context, double warn, double fail, CheckResult.Builder result,
                                  List<String> fixes) throws SQLException {
        try (Statement st = context.connection().createStatement();
             ResultSet rs = st.executeQuery(Sql.load(ConnectionHeadroomCheck.class, id() + "-limits"))) {
            if (!rs.next() || rs.getBoolean("rolsuper")) {
                return;
            }
            limit("role", rs.getString("rolname"), rs.getString("role_ident"), rs.getInt("rolconnlimit"),
                    rs.getLong("role_sessions"), warn, fail, result, fixes);
            limit("database", rs.getString("datname"), rs.getString("database_ident"), rs.getInt("datconnlimit"),
                    rs.getLong("database_sessions"), warn, fail, result, fixes);
        }
    }

    private static void limit(String kind, String name, String ident, int limit, long sessions, double warn,
                              double fail, CheckResult.Builder result, List<String> fixes) {
        if (limit < 0) {
            return;
        }
        double percent = 100.0 * sessions / Math.max(1, limit);
        CheckStatus status = percent >= fail ? CheckStatus.FAIL : percent >= warn ? CheckStatus.WARN : CheckStatus.PASS;
        if (status == CheckStatus.PASS) {
            return;
        }
        result.atLeast(status);
        result.finding(Finding.builder(String.format(Locale.ROOT, "The %s %s has %d sessions of its CONNECTION LIMIT %d"
                                + " (%.0f%%): at the limit, new connections fail with \"too many connections for %s\""
                                + " (53300) although the server may have free slots.", kind, name, sessions, limit,
                        percent, kind))
                .detail("limitOf", kind)
                .detail(kind, name)
                .detail("connectionLimit", limit)
                .detail("sessions", sessions)
                .build());
        fixes.add("Find who holds the " + kind + "'s sessions (SELECT application_name, state, count(*) FROM pg_stat_activity"
                + " WHERE " + (kind.equals("role") ? "usename" : "datname") + " = " + "'" + name.replace("'", "''") + "'"
                + " GROUP BY 1, 2), keep the pools using it below " + limit + " together (pool-budget), or raise it:"
                + " ALTER " + kind.toUpperCase(Locale.ROOT) + " " + ident + " CONNECTION LIMIT <n>; (-1: none).");
    }

    private static final class Group {
        private final String application;
        private final String user;
        private final Map<String, Long> byState = new TreeMap<>();

        Group(String application, String user) {
            this.application = application;
            this.user = user;
        }

        void add(String state, long n) {
            byState.merge(state, n, Long::sum);
        }

        long total() {
            return byState.values().stream().mapToLong(Long::longValue).sum();
        }

        Finding finding() {
            StringBuilder states = new StringBuilder();
            byState.forEach((s, n) -> states.append(states.length() == 0 ? "" : ", ").append(n).append(' ').append(s));
            Finding.Builder f = Finding.builder(total() + (total() == 1 ? " session of " : " sessions of ") + (application.isEmpty() ? "(no application_name)" : application)
                            + " as " + (user.isEmpty() ? "(unknown user)" : user) + ": " + states + ".")
                    .detail("applicationName", application)
                    .detail("user", user)
                    .detail("sessions", total());
            byState.forEach((s, n) -> f.detail(s.replace(' ', '_').replace("(", "").replace(")", ""), n));
            return f.build();
        }
    }
}
