package io.ampora.dbguard.flyway;

import io.ampora.dbguard.flyway.internal.Blockers;
import io.ampora.dbguard.flyway.internal.FlywayReader;
import io.ampora.dbguard.internal.SettingValues;
import io.ampora.dbguard.internal.jdbc.DelegatingDataSource;
import io.ampora.dbguard.internal.jdbc.JdbcHook;
import io.ampora.dbguard.internal.jdbc.LayeredConnection;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.core.api.output.MigrateResult;
import org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;
import org.slf4j.LoggerFactory;

/**
 * Runs Flyway's {@code migrate()} for production without the deploy wedge of runbook 7: every session
 * Flyway opens gets a {@code lock_timeout} (5 s by default), so a migration that needs an ACCESS EXCLUSIVE
 * lock gives up instead of queueing every query on the table behind itself while one long transaction
 * runs; it is retried a bounded number of times with a growing pause. On each timeout the sessions that
 * held the lock are logged (pid, application, user, state, transaction age, query); after the last one
 * {@link MigrationLockTimeoutException} carries that evidence. Opt-in: get one from
 * {@link FlywayGuard#safeMigrator()} and call it where the application calls {@code flyway.migrate()},
 * after {@code verifyOrFail()}.
 *
 * <pre>{@code
 * FlywayGuard flyway = FlywayGuard.ofLocations("classpath:db/migration");
 * flyway.safeMigrator()
 *         .lockTimeout(Duration.ofSeconds(5))
 *         .retries(3)
 *         .backoff(Duration.ofSeconds(2))
 *         .migrate(dataSource);
 * }</pre>
 *
 * <p>Flyway's own lock is taken at session level ({@code postgresql.transactional.lock=false}) so that
 * {@code CREATE INDEX CONCURRENTLY} does not wait for Flyway's transaction. A migration that sets its own
 * {@code lock_timeout} overrides the one given here. A failed non-transactional migration
 * ({@code CONCURRENTLY}) leaves a failed history row that Flyway refuses to retry: such a failure is
 * thrown as it is, not retried.
 */
public final class SafeMigrator {

    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(SafeMigrator.class);

    private final FlywayGuard guard;
    private Duration lockTimeout = Duration.ofSeconds(5);
    private int retries = 3;
    private Duration backoff = Duration.ofSeconds(2);
    private Consumer<String> onLockTimeout = e -> { };

    SafeMigrator(FlywayGuard guard) {
        this.guard = Objects.requireNonNull(guard, "guard");
    }

    /**
     * How long a statement may wait for a lock before it gives up (PostgreSQL {@code lock_timeout}).
     *
     * @param value a positive duration, 5 s by default
     * @return this
     */
    public SafeMigrator lockTimeout(Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("lockTimeout must be a positive duration (PostgreSQL lock_timeout), got "
                    + value);
        }
        this.lockTimeout = value;
        return this;
    }

    /**
     * How many times a migration that timed out waiting for a lock is tried again.
     *
     * @param value 0 or more, 3 by default
     * @return this
     */
    public SafeMigrator retries(int value) {
        if (value < 0) {
            throw new IllegalArgumentException("retries must be 0 or more, got " + value);
        }
        this.retries = value;
        return this;
    }

    /**
     * The pause before the first retry; it doubles before each next one.
     *
     * @param value zero or positive, 2 s by default
     * @return this
     */
    public SafeMigrator backoff(Duration value) {
        if (value == null || value.isNegative()) {
            throw new IllegalArgumentException("backoff must be zero or positive, got " + value);
        }
        this.backoff = value;
        return this;
    }

    /**
     * Called with the evidence line of each timed-out attempt (also logged at WARN), e.g. to alert.
     *
     * @param listener the callback
     * @return this
     */
    public SafeMigrator onLockTimeout(Consumer<String> listener) {
        this.onLockTimeout = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /**
     * Migrates, retrying lock timeouts.
     *
     * @param dataSource where to migrate, as the migrating role
     * @return Flyway's result of the successful attempt
     * @throws MigrationLockTimeoutException when every attempt timed out waiting for a lock
     * @throws FlywayException               for any other failure, as Flyway reports it
     */
    public MigrateResult migrate(DataSource dataSource) {
        List<String> evidence = new ArrayList<>();
        Duration pause = backoff;
        for (int attempt = 1; ; attempt++) {
            Watch watch = new Watch(dataSource, lockTimeout);
            try {
                FluentConfiguration fc = FlywayReader.configure(guard, watch);
                fc.getPluginRegister().getPlugin(PostgreSQLConfigurationExtension.class).setTransactionalLock(false);
                return fc.load().migrate();
            } catch (FlywayException e) {
                if (!isLockTimeout(e)) {
                    throw e;
                }
                String line = "attempt " + attempt + " of " + (retries + 1) + ": " + migrationOf(e)
                        + " gave up after lock_timeout " + SettingValues.format(lockTimeout) + " waiting for a lock;"
                        + " held by " + (watch.lastBlockers != null ? watch.lastBlockers : "a session no longer"
                        + " visible (it ended, or the role lacks pg_read_all_stats)");
                evidence.add(line);
                onLockTimeout.accept(line);
                if (attempt > retries) {
                    throw new MigrationLockTimeoutException("The migration could not get its lock in " + attempt
                            + " attempts (lock_timeout " + SettingValues.format(lockTimeout) + "); nothing waited longer,"
                            + " so queries on the table were not queued behind it for longer either. End the blocking"
                            + " session (SELECT pg_terminate_backend(pid)) or let its transaction finish, then deploy"
                            + " again:\n - " + String.join("\n - ", evidence), evidence, e);
                }
                LOG.warn("{}; retrying in {}", line, SettingValues.format(pause));
                sleep(pause);
                pause = pause.multipliedBy(2);
            } finally {
                watch.close();
            }
        }
    }

    private static boolean isLockTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && "55P03".equals(sql.getSQLState())) {
                return true;
            }
            if (t.getMessage() != null && t.getMessage().contains("55P03")) {
                return true;
            }
        }
        return false;
    }

    private static String migrationOf(FlywayException e) {
        String message = String.valueOf(e.getMessage());
        int at = message.indexOf("Failed to execute script ");
        if (at >= 0) {
            return message.substring(at + "Failed to execute script ".length()).lines().findFirst().orElse("").strip();
        }
        return "the migration";
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to retry the migration", e);
        }
    }

    /**
     * Hands Flyway sessions with {@code lock_timeout} set and watches them from one more session: while
     * one waits for a lock, who blocks it is read with {@code pg_blocking_pids} before the timeout fires.
     */
    private static final class Watch extends DelegatingDataSource implements AutoCloseable {

        /** The last blockers seen while a Flyway session waited for a lock. */
        volatile String lastBlockers;

        private final DataSource target;
        private final Duration lockTimeout;
        private final Set<Integer> pids = ConcurrentHashMap.newKeySet();
        private final Thread sampler;
        private volatile boolean running = true;

        Watch(DataSource target, Duration lockTimeout) {
            super(target);
            this.target = target;
            this.lockTimeout = lockTimeout;
            long every = Math.max(50, Math.min(1_000, lockTimeout.toMillis() / 4));
            this.sampler = new Thread(() -> sample(every), "ampora-safe-migrator-watch");
            sampler.setDaemon(true);
            sampler.start();
        }

        private void sample(long everyMs) {
            Connection observer = null;
            while (running) {
                try {
                    Thread.sleep(everyMs);
                    if (pids.isEmpty()) {
                        continue;
                    }
                    if (observer == null) {
                        observer = target.getConnection();
                    }
                    for (int pid : pids) {
                        Blockers.Wait wait = Blockers.of(observer, pid);
                        if (wait.waiting() && !wait.blockers().isEmpty()) {
                            lastBlockers = wait.describe();
                        }
                    }
                } catch (InterruptedException e) {
                    break;
                } catch (SQLException | RuntimeException e) {
                    LOG.debug("cannot read the migration's blockers: {}", e.getMessage());
                }
            }
            if (observer != null) {
                try {
                    observer.close();
                } catch (SQLException e) {
                    LOG.debug("closing the observer session: {}", e.getMessage());
                }
            }
        }

        @Override
        public Connection getConnection() throws SQLException {
            return prepare(target.getConnection());
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return prepare(target.getConnection(username, password));
        }

        private Connection prepare(Connection c) throws SQLException {
            int pid;
            String previous;
            try (Statement st = c.createStatement();
                 var rs = st.executeQuery("SELECT pg_catalog.pg_backend_pid(), pg_catalog.current_setting('lock_timeout'),"
                         + " pg_catalog.set_config('lock_timeout', '" + lockTimeout.toMillis() + "ms', false)")) {
                rs.next();
                pid = rs.getInt(1);
                previous = rs.getString(2);
            }
            pids.add(pid);
            return LayeredConnection.of(c, new JdbcHook() {
                @Override
                public void connectionClosing(LayeredConnection connection) {
                    restore(c, previous);
                }

                @Override
                public void connectionClosed(LayeredConnection connection) {
                    pids.remove(pid);
                }
            });
        }

        /**
         * Gives the session its {@code lock_timeout} back before the connection goes back to the application's
         * pool, which does not reset session settings: the application's own statements would otherwise give up
         * after the migration's lock_timeout. With autocommit off the setting is committed on its own, and only
         * when no transaction of Flyway's is still open: a statement then would join that transaction, which the
         * pool rolls back, so the connection keeps the migration's lock_timeout (logged at debug).
         */
        private static void restore(Connection c, String previous) {
            try {
                if (c.isClosed()) {
                    return;
                }
                boolean autoCommit = c.getAutoCommit();
                if (!autoCommit && c.unwrap(BaseConnection.class).getTransactionState() != TransactionState.IDLE) {
                    LOG.debug("a migration session was closed inside a transaction: it keeps the migration's lock_timeout");
                    return;
                }
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_catalog.set_config('lock_timeout', ?, false)")) {
                    ps.setString(1, previous);
                    ps.execute();
                }
                if (!autoCommit) {
                    c.commit();
                }
            } catch (SQLException | RuntimeException e) {
                LOG.debug("could not give a migration session its lock_timeout back: {}", e.getMessage());
            }
        }

        @Override
        public void close() {
            running = false;
            sampler.interrupt();
        }
    }
}
