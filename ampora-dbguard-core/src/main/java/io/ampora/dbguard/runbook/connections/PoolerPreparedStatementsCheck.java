package io.ampora.dbguard.runbook.connections;

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
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Set;
import org.postgresql.PGConnection;
import org.postgresql.jdbc.PreferQueryMode;

/**
 * Beyond the runbook: pgjdbc's server-side prepared statements through a connection pooler. pgjdbc names a
 * statement on the server from its {@code prepareThreshold}-th execution on a connection (5 by default) and
 * from then on only binds and executes that name. A pooler in transaction mode (PgBouncer's usual mode) hands
 * each transaction whichever server session is free: there the name is missing ({@code prepared statement
 * "S_1" does not exist}, SQLSTATE 26000, which pgjdbc hides in autocommit by preparing again) or is another
 * client's ({@code already exists}, 42P05, also on the {@code ROLLBACK} and {@code COMMIT} pgjdbc names
 * too), at random and only under load. Before PgBouncer 1.21, or with its {@code max_prepared_statements} at
 * 0, nothing but {@code prepareThreshold=0} (or {@code preferQueryMode=simple}) avoids it.
 *
 * <p>A pooler is recognised without privileges: the process id the driver got at login (which the pooler
 * sends itself) differs from {@code pg_backend_pid()}. The pooler's mode and version are invisible to a
 * client, so a pooled connection with server-side prepares is a WARN that {@link #POOLER_KEEPS_PREPARED}
 * acknowledges (session mode, or PgBouncer 1.21+ with {@code max_prepared_statements} set).
 */
public final class PoolerPreparedStatementsCheck implements DatabaseCheck {

    /** The pooler keeps prepared statements per client (session mode, or PgBouncer 1.21+ tracking them). */
    public static final CheckSetting<Boolean> POOLER_KEEPS_PREPARED = CheckSetting.flag("poolerKeepsPreparedStatements",
            false, "true when the pooler runs in session mode or is PgBouncer 1.21+ with max_prepared_statements > 0:"
                    + " server-side prepared statements are then safe through it");

    @Override
    public String id() {
        return "pooler-prepared-statements";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.BEYOND_RUNBOOK;
    }

    @Override
    public String description() {
        return "pgjdbc's server-side prepared statements through a transaction-pooling connection pooler, which fail"
                + " with 'prepared statement \"S_1\" does not exist'.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(POOLER_KEEPS_PREPARED);
    }

    @Override
    public boolean startupCritical() {
        return false;
    }

    /**
     * {@link CheckScope#DATABASE}, although the answer is a connection's: a fleet shares runs only while its
     * channel works, and the channel refuses a pooler (session 9), so in a working fleet every instance connects
     * directly and the answer is the same; behind a pooler the fleet is down and every instance runs its own.
     * Per instance it would open a session on every instance every interval for an answer that does not change.
     *
     * @return {@link CheckScope#DATABASE}
     */
    @Override
    public CheckScope scope() {
        return CheckScope.DATABASE;
    }

    /**
     * {@link CheckCost#CHEAP}: one function call.
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
        Connection connection = context.connection();
        PGConnection pg;
        try {
            pg = connection.unwrap(PGConnection.class);
        } catch (SQLException e) {
            return CheckResult.skip(this, "The connection is not pgjdbc's (" + connection.getClass().getName()
                    + "): its prepared statements are not pgjdbc's either.");
        }
        int driverPid = pg.getBackendPID();
        int serverPid;
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery(Sql.load(PoolerPreparedStatementsCheck.class, id()))) {
            rs.next();
            serverPid = rs.getInt("server_pid");
        }
        int threshold = pg.getPrepareThreshold();
        PreferQueryMode mode = pg.getPreferQueryMode();
        String settings = "prepareThreshold=" + threshold + ", preferQueryMode=" + mode.value();
        if (driverPid == serverPid) {
            return CheckResult.pass(this, "Connected to the server directly (the session's pid " + serverPid + " is the one"
                    + " the driver got at login): a prepared statement stays on the session that prepared it ("
                    + settings + ").");
        }
        String pooled = "Through a connection pooler (the session's pid " + serverPid + " is not the pid " + driverPid
                + " the driver got at login)";
        if (mode == PreferQueryMode.SIMPLE || threshold == 0) {
            return CheckResult.pass(this, pooled + " with pgjdbc's server-side prepared statements off (" + settings
                    + "): no statement name can be missing on the next server session.");
        }
        if (context.setting(POOLER_KEEPS_PREPARED)) {
            return CheckResult.pass(this, pooled + " that keeps prepared statements per client (" + settings
                    + "; pooler-prepared-statements.poolerKeepsPreparedStatements is on).");
        }
        String from = threshold < 0 ? "on the first execution" : "from the " + ordinal(threshold) + " execution";
        return CheckResult.builder(this).status(CheckStatus.WARN)
                .summary(pooled + " while pgjdbc prepares statements on the server " + from + " (" + settings + "):"
                        + " in transaction pooling a client's next transaction may run on another server session, and the"
                        + " application's statements fail at random under load: 'prepared statement \"S_1\" already"
                        + " exists' (SQLSTATE 42P05, another client's name on that session, even on COMMIT or ROLLBACK)"
                        + " or, inside a transaction, 'does not exist' (26000).")
                .finding(Finding.builder("pgjdbc names statements on the server through a connection pooler.")
                        .detail("serverPid", serverPid)
                        .detail("driverPid", driverPid)
                        .detail("prepareThreshold", threshold)
                        .detail("preferQueryMode", mode.value())
                        .build())
                .remediation("Add prepareThreshold=0 to the JDBC URL (or the DataSource's properties): pgjdbc then never"
                        + " names a statement on the server, at the cost of planning each execution. Or run the pooler in"
                        + " session mode, or use PgBouncer 1.21+ with max_prepared_statements > 0 (it tracks"
                        + " protocol-level prepared statements per client); with either, set"
                        + " pooler-prepared-statements.poolerKeepsPreparedStatements=true.")
                .build();
    }

    private static String ordinal(int n) {
        int mod100 = n % 100;
        String suffix = mod100 >= 11 && mod100 <= 13 ? "th" : switch (n % 10) {
            case 1 -> "st";
            case 2 -> "nd";
            case 3 -> "rd";
            default -> "th";
        };
        return n + suffix;
    }
}
