package io.ampora.dbguard.runbook.maintenance;

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
import io.ampora.dbguard.check.ServerFacts;
import io.ampora.dbguard.check.SettingOrder;
import io.ampora.dbguard.check.Sql;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Beyond the runbook: transaction ID and multixact ID wraparound. Reads {@code age(datfrozenxid)} and
 * {@code mxid_age(datminmxid)} of every database and compares them with the 2^31 limit at which
 * PostgreSQL stops assigning IDs (the database then refuses writes until a manual VACUUM), and with
 * {@code autovacuum_freeze_max_age}: autovacuum forces an anti-wraparound vacuum past that age, so an age
 * far beyond it (twice) means vacuum cannot freeze, usually because something holds the horizon back.
 *
 * <p>WARN from {@code warnPercent} (50% of 2^31, about 1.07 billion), FAIL from {@code failPercent}
 * (75%, about 1.61 billion, close to {@code vacuum_failsafe_age}'s default of 1.6 billion at which
 * PostgreSQL 14+ starts its emergency vacuum). Needs no privilege: {@code pg_database} is readable by all.
 */
public final class TxidWraparoundCheck implements DatabaseCheck {

    /** Age, in percent of 2^31, from which the check warns. */
    public static final CheckSetting<Double> WARN_PERCENT = CheckSetting.percent("warnPercent", 50,
            "transaction or multixact ID age, in percent of the 2^31 wraparound limit, from which to warn");
    /** Age, in percent of 2^31, from which the check fails. */
    public static final CheckSetting<Double> FAIL_PERCENT = CheckSetting.percent("failPercent", 75,
            "transaction or multixact ID age, in percent of the 2^31 wraparound limit, from which to fail");

    private static final double LIMIT = 2147483648.0;

    @Override
    public String id() {
        return "txid-wraparound";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.BEYOND_RUNBOOK;
    }

    @Override
    public String description() {
        return "Transaction and multixact ID age of every database against the 2^31 wraparound limit and"
                + " autovacuum_freeze_max_age.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(WARN_PERCENT, FAIL_PERCENT);
    }

    @Override
    public List<SettingOrder<?>> settingOrders() {
        return List.of(SettingOrder.higherIsWorse(WARN_PERCENT, FAIL_PERCENT));
    }

    @Override
    public boolean startupCritical() {
        return false;
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
     * None: a database-wide condition every instance sees at once (see {@link DatabaseCheck#probes()}). The monitor
     * still reports, logs and counts it.
     *
     * @return no probe
     */
    @Override
    public Set<Probe> probes() {
        return Set.of();
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        ServerFacts facts = context.facts();
        long freezeMaxAge = facts.settingAsLong("autovacuum_freeze_max_age", 200_000_000L);
        long multiFreezeMaxAge = facts.settingAsLong("autovacuum_multixact_freeze_max_age", 400_000_000L);
        double warn = context.setting(WARN_PERCENT);
        double fail = context.setting(FAIL_PERCENT);

        List<Database> databases = new ArrayList<>();
        try (Statement st = context.connection().createStatement();
             ResultSet rs = st.executeQuery(Sql.load(TxidWraparoundCheck.class, id()))) {
            while (rs.next()) {
                databases.add(new Database(rs.getString("datname"), rs.getString("database_ident"),
                        rs.getLong("xid_age"), rs.getLong("mxid_age")));
            }
        }
        CheckResult.Builder result = CheckResult.builder(this);
        for (Database d : databases) {
            double percent = Math.max(d.xidAge(), d.mxidAge()) * 100 / LIMIT;
            CheckStatus status = percent >= fail ? CheckStatus.FAIL : percent >= warn ? CheckStatus.WARN : CheckStatus.PASS;
            boolean stuck = d.xidAge() > 2 * freezeMaxAge || d.mxidAge() > 2 * multiFreezeMaxAge;
            if (status == CheckStatus.PASS && stuck) {
                status = CheckStatus.WARN;
            }
            if (status != CheckStatus.PASS) {
                result.atLeast(status).finding(finding(d, freezeMaxAge, multiFreezeMaxAge, facts.database(), context));
            }
        }
        Database oldest = databases.stream().max((a, b) -> Long.compare(a.xidAge(), b.xidAge())).orElse(null);
        String summary = oldest == null ? "No database visible." : String.format(Locale.ROOT,
                "The oldest database, %s, has unfrozen rows %,d transactions old: %.1f%% of the 2^31 wraparound"
                        + " limit; autovacuum_freeze_max_age is %,d.", oldest.name(), oldest.xidAge(),
                oldest.xidAge() * 100 / LIMIT, freezeMaxAge);
        result.summary(summary);
        if (result.status() != CheckStatus.PASS) {
            List<String> holders = horizonHolders(context, result);
            result.remediation((holders.isEmpty() ? "" : String.join("\n", holders) + "\n") + "Find what holds the freeze horizon back and remove it first: long transactions"
                    + " (long-transactions check), forgotten prepared transactions (SELECT * FROM pg_catalog.pg_prepared_xacts),"
                    + " replication slots (SELECT slot_name, xmin, catalog_xmin FROM pg_catalog.pg_replication_slots)."
                    + " Then freeze the oldest tables of each database listed: connect to it and run VACUUM (FREEZE, VERBOSE)"
                    + " on them, or vacuumdb --all --freeze --jobs=4 off-peak.");
        }
        return result.build();
    }

    private static Finding finding(Database d, long freezeMaxAge, long multiFreezeMaxAge, String current,
                                   CheckContext context) throws SQLException {
        String message = String.format(Locale.ROOT, "Database %s has unfrozen rows %,d transactions old (%.1f%% of the 2^31"
                        + " wraparound limit) and multixacts %,d old (%.1f%%); that is %.1f times autovacuum_freeze_max_age (%,d).",
                d.name(), d.xidAge(), d.xidAge() * 100 / LIMIT, d.mxidAge(), d.mxidAge() * 100 / LIMIT,
                (double) d.xidAge() / freezeMaxAge, freezeMaxAge);
        if (d.xidAge() > 2 * freezeMaxAge || d.mxidAge() > 2 * multiFreezeMaxAge) {
            message += " Anti-wraparound autovacuum is not keeping up: something holds the horizon back.";
        }
        Finding.Builder f = Finding.builder(message)
                .detail("database", d.name())
                .detail("xidAge", d.xidAge())
                .detail("xidPercent", Math.round(d.xidAge() * 1000 / LIMIT) / 10.0)
                .detail("mxidAge", d.mxidAge())
                .detail("mxidPercent", Math.round(d.mxidAge() * 1000 / LIMIT) / 10.0)
                .detail("autovacuumFreezeMaxAge", freezeMaxAge)
                .detail("autovacuumMultixactFreezeMaxAge", multiFreezeMaxAge);
        if (d.name().equals(current)) {
            f.detail("oldestTables", oldestTables(context));
        } else {
            f.detail("oldestTables", "connect to " + d.ident() + " and run: SELECT c.oid::regclass, age(c.relfrozenxid)"
                    + " FROM pg_class c WHERE c.relkind IN ('r', 'm', 't') ORDER BY 2 DESC LIMIT 5");
        }
        return f.build();
    }

    /** Prepared transactions and slots that hold the horizon back, each as a finding; returns their fixes. */
    private static List<String> horizonHolders(CheckContext context, CheckResult.Builder result) throws SQLException {
        List<String> fixes = new ArrayList<>();
        try (Statement st = context.connection().createStatement();
             ResultSet rs = st.executeQuery(Sql.load(TxidWraparoundCheck.class, "txid-wraparound-holders"))) {
            while (rs.next()) {
                String kind = rs.getString("kind");
                String database = rs.getString("database");
                String fix = rs.getString("fix");
                String where = database == null ? "" : " (in database " + database + ")";
                result.finding(Finding.builder(String.format(Locale.ROOT, "The %s %s%s holds back the xmin horizon by %,d"
                                + " transactions: vacuum cannot freeze rows newer than it. End it with %s;%s.", kind,
                                rs.getString("name"), where, rs.getLong("xid_age"), fix,
                                database == null ? "" : " run in database " + database))
                        .detail("horizonHolder", kind)
                        .detail("name", rs.getString("name"))
                        .detail("database", database)
                        .detail("xidAge", rs.getLong("xid_age"))
                        .detail("fix", fix)
                        .build());
                fixes.add(kind + " " + rs.getString("name") + where + ": " + fix + ";");
            }
        }
        return fixes;
    }

    private static String oldestTables(CheckContext context) throws SQLException {
        StringBuilder out = new StringBuilder();
        try (Statement st = context.connection().createStatement();
             ResultSet rs = st.executeQuery(Sql.load(TxidWraparoundCheck.class, "txid-wraparound-tables"))) {
            while (rs.next()) {
                out.append(out.length() == 0 ? "" : ", ").append(rs.getString("table_name"))
                        .append(" (").append(rs.getLong("xid_age")).append(')');
            }
        }
        return out.toString();
    }

    /** One database's ages. */
    private record Database(String name, String ident, long xidAge, long mxidAge) {
    }
}
