package io.ampora.dbguard.flyway.internal;

import io.ampora.dbguard.internal.SettingValues;
import io.ampora.dbguard.internal.jdbc.DelegatingDataSource;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;

/**
 * Records what each statement of a migration really does. Flyway gets a DataSource whose connections
 * run every migration statement as usual and then, on the same session and before its transaction ends,
 * read {@code pg_locks}, {@code pg_stat_xact_all_tables} and the catalogs ({@link Observation}). A
 * statement of a non-transactional migration runs in a transaction of its own for that (the same effect:
 * it would commit on its own anyway), unless PostgreSQL refuses it in a transaction
 * ({@code CREATE INDEX CONCURRENTLY}, {@code VACUUM}...): then it runs alone and only its catalog effects
 * are seen. A watchdog bounds every wait: a statement still waiting for a lock after {@code lockWaitLimit}
 * is cancelled and the blocker named.
 */
public final class MigrationRecorder implements Callback, AutoCloseable {

    private static final Pattern TX_CONTROL = Pattern.compile("(?is)^\\s*(BEGIN|START\\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT)\\b.*");
    private static final Pattern TX_END = Pattern.compile("(?is)^\\s*(COMMIT|END|ROLLBACK|ABORT)\\b.*");
    private static final Pattern LOCK_TIMEOUT = Pattern.compile("(?is).*\\block_timeout\\b.*");

    /**
     * One statement and what was seen around it.
     *
     * @param number          1-based position in the migration
     * @param sql             the statement
     * @param inTransaction   whether its locks were seen (it ran inside a transaction)
     * @param wrapped         whether that transaction was the recorder's own (a non-transactional migration)
     * @param startNanos      when it started
     * @param endNanos        when it ended
     * @param before          the observation before it (catalog facts)
     * @param txBefore        the observation before it within its transaction (locks, scans)
     * @param after           the observation after it, before its transaction ended
     * @param lockTimeoutSet  whether an earlier statement of the migration set lock_timeout (and it is not 0)
     */
    public record Step(int number, String sql, boolean inTransaction, boolean wrapped, long startNanos, long endNanos,
                       Observation before, Observation txBefore, Observation after, boolean lockTimeoutSet) {
    }

    /**
     * One migration as recorded.
     *
     * @param script      the migration file
     * @param steps       its statements
     * @param endNanos    when it ended (before commit)
     * @param explanation why it failed, when the recorder knows better than the database's bare error
     */
    public record Run(String script, List<Step> steps, long endNanos, String explanation) {

        /** @return whether its statements ran in Flyway's transaction */
        public boolean transactional() {
            return !steps.isEmpty() && steps.stream().allMatch(s -> s.inTransaction() && !s.wrapped());
        }
    }

    private final DataSource target;
    private final Duration lockWaitLimit;
    private final ScheduledExecutorService watchdog;
    private final DataSource proxy;

    private volatile Collection<Long> tracked = List.of();
    private String script;
    private List<Step> steps = new ArrayList<>();
    private Observation last;
    private Observation lastTx;
    private boolean lockTimeoutSet;
    private boolean userTransaction;
    private volatile String explanation;
    private Run finished;

    /**
     * @param target        the test's DataSource
     * @param lockWaitLimit how long a statement may wait for a lock before it is cancelled
     */
    public MigrationRecorder(DataSource target, Duration lockWaitLimit) {
        this.target = target;
        this.lockWaitLimit = lockWaitLimit;
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ampora-migration-watchdog");
            t.setDaemon(true);
            return t;
        });
        this.proxy = new RecordingDataSource();
    }

    /** @return the DataSource to hand Flyway */
    public DataSource dataSource() {
        return proxy;
    }

    /**
     * Arms the recorder for the next migration.
     *
     * @param tablesBefore the oids of the tables that exist before it (locks on others are not recorded)
     */
    public synchronized void expect(Collection<Long> tablesBefore) {
        tracked = List.copyOf(tablesBefore);
        finished = null;
        explanation = null;
    }

    /** @return the last migration recorded, or null when none ran */
    public synchronized Run finished() {
        return finished;
    }

    /** @return why the last statement failed, when known better than the database's error */
    public String explanation() {
        return explanation;
    }

    @Override
    public boolean supports(Event event, Context context) {
        return event == Event.BEFORE_EACH_MIGRATE || event == Event.AFTER_EACH_MIGRATE
                || event == Event.AFTER_EACH_MIGRATE_ERROR;
    }

    @Override
    public boolean canHandleInTransaction(Event event, Context context) {
        return true;
    }

    @Override
    public synchronized void handle(Event event, Context context) {
        if (event == Event.BEFORE_EACH_MIGRATE) {
            script = context.getMigrationInfo() == null ? "?" : context.getMigrationInfo().getScript();
            steps = new ArrayList<>();
            last = null;
            lastTx = null;
            lockTimeoutSet = false;
            userTransaction = false;
        } else {
            finished = new Run(script, List.copyOf(steps), System.nanoTime(), explanation);
            script = null;
        }
    }

    @Override
    public String getCallbackName() {
        return "ampora-migration-recorder";
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
    }

    private synchronized boolean execute(Connection raw, int[] pid, Statement real, String sql) throws SQLException {
        if (script == null) {
            return real.execute(sql);
        }
        if (pid[0] == 0) {
            pid[0] = backendPid(raw);
        }
        boolean inTx = !raw.getAutoCommit() || userTransaction;
        boolean wrap = !inTx && !TX_CONTROL.matcher(sql).matches();
        if (last == null) {
            last = Observation.read(raw, tracked);
        }
        Observation txBefore = inTx && lastTx != null ? lastTx : Observation.EMPTY;
        if (wrap) {
            raw.setAutoCommit(false);
        }
        long start = System.nanoTime();
        boolean result;
        boolean seen = inTx || wrap;
        try {
            result = watched(pid[0], real, sql);
        } catch (SQLException e) {
            if (wrap) {
                raw.rollback();
                raw.setAutoCommit(true);
            }
            if (!wrap || !"25001".equals(e.getSQLState())) {
                if ("25001".equals(e.getSQLState())) {
                    explanation = script + " runs a statement PostgreSQL refuses inside a transaction (" + firstLine(sql)
                            + ") while Flyway runs this migration in one: put it in a migration of its own (Flyway"
                            + " detects CREATE/DROP INDEX CONCURRENTLY alone in a script and runs it outside a"
                            + " transaction), or add the script configuration file " + script.replaceAll("\\.sql$", "")
                            + ".sql.conf with the line executeInTransaction=false. PostgreSQL said: " + e.getMessage();
                }
                throw e;
            }
            // PostgreSQL refuses it in a transaction (CONCURRENTLY, VACUUM...): it runs alone, its locks unseen.
            start = System.nanoTime();
            result = watched(pid[0], real, sql);
            seen = false;
        }
        long end = System.nanoTime();
        Observation after = Observation.read(raw, tracked);
        if (wrap && seen) {
            raw.commit();
            raw.setAutoCommit(true);
        }
        steps.add(new Step(steps.size() + 1, sql, seen, wrap && seen, start, end, last, txBefore, after, lockTimeoutSet));
        last = after;
        lastTx = inTx ? after : null;
        if (TX_CONTROL.matcher(sql).matches()) {
            userTransaction = !TX_END.matcher(sql).matches() && raw.getAutoCommit();
            lastTx = null;
        }
        if (LOCK_TIMEOUT.matcher(sql).matches()) {
            lockTimeoutSet = !after.lockTimeout().equals("0");
        }
        return result;
    }

    private boolean watched(int pid, Statement real, String sql) throws SQLException {
        ScheduledFuture<?>[] task = new ScheduledFuture<?>[1];
        Runnable check = new Runnable() {
            @Override
            public void run() {
                try (Connection c = target.getConnection()) {
                    Blockers.Wait wait = Blockers.of(c, pid);
                    if (!wait.waiting()) {
                        task[0] = watchdog.schedule(this, lockWaitLimit.toMillis(), TimeUnit.MILLISECONDS);
                        return;
                    }
                    explanation = (script == null ? "the migration" : script) + " waited longer than "
                            + SettingValues.format(lockWaitLimit) + " for a lock (" + wait.event() + ") running "
                            + firstLine(sql) + "; blocked by " + wait.describe() + ". It was cancelled so that the"
                            + " test does not hang; end that session (or its transaction) and run the test again.";
                    try (PreparedStatement ps = c.prepareStatement("SELECT pg_catalog.pg_cancel_backend(?)")) {
                        ps.setInt(1, pid);
                        ps.execute();
                    }
                } catch (SQLException | RuntimeException e) {
                    explanation = "the migration watchdog could not read pg_stat_activity: " + e.getMessage();
                }
            }
        };
        task[0] = watchdog.schedule(check, lockWaitLimit.toMillis(), TimeUnit.MILLISECONDS);
        try {
            return real.execute(sql);
        } finally {
            task[0].cancel(false);
        }
    }

    private static int backendPid(Connection raw) throws SQLException {
        try (Statement st = raw.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    static String firstLine(String sql) {
        String flat = sql.replaceAll("\\s+", " ").strip();
        return flat.length() > 160 ? flat.substring(0, 157) + "..." : flat;
    }

    private final class RecordingDataSource extends DelegatingDataSource {

        RecordingDataSource() {
            super(target);
        }

        @Override
        public Connection getConnection() throws SQLException {
            return wrap(target.getConnection());
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return wrap(target.getConnection(username, password));
        }

        private Connection wrap(Connection raw) {
            int[] pid = new int[1];
            InvocationHandler handler = (Object p, Method m, Object[] args) -> {
                Object out = invoke(raw, m, args);
                if (m.getName().equals("createStatement") && (args == null || args.length == 0)) {
                    Statement real = (Statement) out;
                    return Proxy.newProxyInstance(MigrationRecorder.class.getClassLoader(), new Class<?>[] {Statement.class},
                            (Object sp, Method sm, Object[] sargs) -> {
                                if (sm.getName().equals("execute") && sargs != null && sargs.length == 1
                                        && sargs[0] instanceof String sql) {
                                    return MigrationRecorder.this.execute(raw, pid, real, sql);
                                }
                                if (sm.getName().equals("getConnection")) {
                                    return p;
                                }
                                return invoke(real, sm, sargs);
                            });
                }
                return out;
            };
            return (Connection) Proxy.newProxyInstance(MigrationRecorder.class.getClassLoader(),
                    new Class<?>[] {Connection.class}, handler);
        }

        private Object invoke(Object target, Method m, Object[] args) throws Throwable {
            try {
                return m.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }
}
