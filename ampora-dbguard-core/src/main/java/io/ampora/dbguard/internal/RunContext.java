package io.ampora.dbguard.internal;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.ConnectionAttempt;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.GuardOptions;
import io.ampora.dbguard.check.ServerFacts;
import io.ampora.dbguard.check.Target;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/** The runner's {@link CheckContext}: opens the read-only session on first use and can cut it off. */
final class RunContext implements CheckContext {

    private final DatabaseCheck check;
    private final ReportConnections connections;
    private final Map<Target, ReportConnections> allConnections;
    private final Map<Target, ConnectionAttempt> attempts;
    private final Map<String, Object> settings;
    private final GuardOptions options;
    private final Clock clock;
    private final Duration timeout;
    private final Executor executor;
    private ReadOnlySession session;
    private final Map<Target, ReadOnlySession> others = new java.util.EnumMap<>(Target.class);
    private boolean closed;

    RunContext(DatabaseCheck check, Map<Target, ReportConnections> connections, Map<Target, ConnectionAttempt> attempts,
               Map<String, Object> settings, GuardOptions options, Clock clock, Duration timeout, Executor executor) {
        this.check = check;
        this.allConnections = connections;
        this.connections = connections.get(check.target());
        this.attempts = attempts;
        this.settings = settings;
        this.options = options;
        this.clock = clock;
        this.timeout = timeout;
        this.executor = executor;
    }

    @Override
    public synchronized Connection connection() throws SQLException {
        if (closed) {
            throw new SQLException("the check's time budget is spent; its session is closed", "57014");
        }
        if (connections == null) {
            throw new SQLException("no " + check.target().name().toLowerCase() + " DataSource is configured");
        }
        if (session == null) {
            session = ReadOnlySession.open(connections, timeout, executor);
        }
        return session.connection();
    }

    @Override
    public synchronized Connection connection(Target target) throws SQLException {
        if (target == check.target()) {
            return connection();
        }
        if (closed) {
            throw new SQLException("the check's time budget is spent; its session is closed", "57014");
        }
        ReportConnections other = allConnections.get(target);
        if (other == null) {
            throw new SQLException("no " + target.name().toLowerCase() + " DataSource is configured");
        }
        ReadOnlySession s = others.get(target);
        if (s == null) {
            s = ReadOnlySession.open(other, timeout, executor);
            others.put(target, s);
        }
        return s.connection();
    }

    @Override
    public ServerFacts facts() {
        return connectionAttempt(check.target()).facts().orElseThrow(() -> new IllegalStateException(
                "the " + check.target().name().toLowerCase() + " server could not be reached, so its facts are unknown"));
    }

    @Override
    public ConnectionAttempt connectionAttempt(Target target) {
        return attempts.get(target);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T setting(CheckSetting<T> setting) {
        Object value = settings.get(setting.name());
        return value == null ? setting.defaultValue() : (T) value;
    }

    @Override
    public GuardOptions options() {
        return options;
    }

    @Override
    public Clock clock() {
        return clock;
    }

    @Override
    public Duration timeout() {
        return timeout;
    }

    /** Cancels the running statement and drops the connection: the check ran past its budget. */
    void cutOff() {
        List<ReadOnlySession> all = new ArrayList<>();
        synchronized (this) {
            closed = true;
            if (session != null) {
                all.add(session);
            }
            all.addAll(others.values());
            // before leaving the lock: close() may hand the connection back right after it
            all.forEach(ReadOnlySession::poison);
        }
        for (ReadOnlySession s : all) {
            s.cancel();
            s.abort(executor);
        }
    }

    /** Rolls back and releases the session. */
    void close() {
        List<ReadOnlySession> all = new ArrayList<>();
        synchronized (this) {
            closed = true;
            if (session != null) {
                all.add(session);
            }
            all.addAll(others.values());
            session = null;
            others.clear();
        }
        all.forEach(ReadOnlySession::close);
    }
}
