package io.ampora.dbguard.internal;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.ConnectionAttempt;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.GuardOptions;
import io.ampora.dbguard.check.ServerFacts;
import io.ampora.dbguard.check.Target;
import io.ampora.dbguard.report.Report;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs checks: connects once per server to read its facts, then runs the checks concurrently on at most
 * {@code maxConcurrency} sessions (for a guard built from a URL, on at most that many physical connections
 * reused across the report's checks: {@link ReportConnections}), each cut off at its time budget, the whole run cut off at the deadline.
 * Nothing a check does can throw out of here; every failure becomes an UNKNOWN result with the reason.
 */
public final class CheckRunner {

    private static final Logger LOG = LoggerFactory.getLogger(CheckRunner.class);
    /** How long past its statement_timeout a check may take before the runner stops waiting for it. */
    private static final Duration GRACE = Duration.ofMillis(500);
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final ThreadFactory DAEMONS = r -> {
        Thread t = new Thread(r, "dbguard-check-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        return t;
    };
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "dbguard-watchdog");
        t.setDaemon(true);
        return t;
    });

    /**
     * What the runner needs from the guard.
     *
     * @param primary          the primary DataSource
     * @param replica          the replica DataSource or null
     * @param settings         per check id, its configured setting values by name
     * @param options          the options handed to checks
     * @param checkTimeout     each check's budget
     * @param connectTimeout   the budget for the first connection to a server
     * @param deadline         the budget of the whole run
     * @param maxConcurrency   how many checks (so sessions) run at once
     * @param unknownIsFailure whether UNKNOWN makes the report FAIL
     * @param clock            the clock
     * @param masker           removes secrets from every result
     */
    public record Settings(
            DataSource primary,
            DataSource replica,
            Map<String, Map<String, Object>> settings,
            GuardOptions options,
            Duration checkTimeout,
            Duration connectTimeout,
            Duration deadline,
            int maxConcurrency,
            boolean unknownIsFailure,
            Clock clock,
            SecretMasker masker) {
    }

    private final Settings config;
    private final Map<Target, CompletableFuture<ConnectionAttempt>> inFlight = new EnumMap<>(Target.class);
    /** Per target: keeps the settings and the session's TLS state between reports while the server stays the same. */
    private final Map<Target, ServerFactsReader> facts = new EnumMap<>(Target.class);

    /**
     * @param config the runner's configuration, validated by the guard's builder
     */
    public CheckRunner(Settings config) {
        this.config = config;
        for (Target target : Target.values()) {
            facts.put(target, new ServerFactsReader());
        }
    }

    /**
     * Runs the checks and returns the report. Never throws for a database or check problem.
     *
     * @param checks the checks to run, in report order
     * @return the report
     */
    public Report run(List<DatabaseCheck> checks) {
        Instant startedAt = config.clock().instant();
        long start = System.nanoTime();
        long deadline = start + config.deadline().toNanos();
        ExecutorService executor = Executors.newCachedThreadPool(DAEMONS);
        Map<Target, ReportConnections> connections = new EnumMap<>(Target.class);
        connections.put(Target.PRIMARY, ReportConnections.of(config.primary(), config.maxConcurrency()));
        if (config.replica() != null) {
            connections.put(Target.REPLICA, ReportConnections.of(config.replica(), config.maxConcurrency()));
        }
        try {
            boolean instanceOnly = checks.stream().allMatch(c -> c.scope() == CheckScope.INSTANCE);
            Map<Target, ConnectionAttempt> attempts = connect(executor, deadline, connections, instanceOnly);
            Semaphore sessions = new Semaphore(config.maxConcurrency());
            List<CompletableFuture<CheckResult>> futures = new ArrayList<>();
            for (DatabaseCheck check : checks) {
                futures.add(submit(check, attempts, connections, sessions, executor, deadline));
            }
            List<CheckResult> results = new ArrayList<>();
            for (int i = 0; i < futures.size(); i++) {
                results.add(await(futures.get(i), checks.get(i), deadline).mapText(masker()::mask));
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            String version = attempts.get(Target.PRIMARY).facts().map(ServerFacts::version).orElse("");
            return new Report(Report.overall(results, config.unknownIsFailure()), startedAt, took, results, version,
                    config.options().connection().maskedUrl());
        } finally {
            executor.shutdown();
            connections.values().forEach(ReportConnections::close);
        }
    }

    private Map<Target, ConnectionAttempt> connect(ExecutorService executor, long deadline,
                                                   Map<Target, ReportConnections> connections, boolean instanceOnly) {
        Map<Target, Pending> pending = new EnumMap<>(Target.class);
        pending.put(Target.PRIMARY, startAttempt(Target.PRIMARY, connections.get(Target.PRIMARY), executor, instanceOnly));
        if (config.replica() != null) {
            pending.put(Target.REPLICA, startAttempt(Target.REPLICA, connections.get(Target.REPLICA), executor, instanceOnly));
        }
        long connectBy = Math.min(deadline, System.nanoTime() + config.connectTimeout().toNanos());
        Map<Target, ConnectionAttempt> attempts = new EnumMap<>(Target.class);
        for (Target target : Target.values()) {
            Pending p = pending.get(target);
            if (p == null) {
                attempts.put(target, new ConnectionAttempt(target, Duration.ZERO, Optional.empty(), Optional.empty(), false));
                continue;
            }
            try {
                ConnectionAttempt attempt = p.future().get(Math.max(0, connectBy - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (p.joined() && attempt.succeeded()) {
                    // The hung attempt of an earlier report got through at last: its session says the server answered
                    // before this report began, not now (a network that broke meanwhile would read as PASS). The
                    // thread it held is free again, so this report connects for itself within what is left.
                    Pending fresh = startAttempt(target, connections.get(target), executor, instanceOnly);
                    attempt = fresh.future().get(Math.max(0, connectBy - System.nanoTime()), TimeUnit.NANOSECONDS);
                }
                attempts.put(target, attempt);
            } catch (TimeoutException e) {
                // a pool with no free connection looks like a server that does not answer: ask the pool
                attempts.put(target, new ConnectionAttempt(target, config.connectTimeout(), Optional.empty(),
                        PoolIntrospector.find(dataSourceOf(target), null).map(SQLException.class::cast), true));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                attempts.put(target, new ConnectionAttempt(target, Duration.ZERO, Optional.empty(), Optional.empty(), true));
            } catch (ExecutionException e) {
                attempts.put(target, new ConnectionAttempt(target, Duration.ZERO, Optional.empty(),
                        Optional.of(new SQLException(String.valueOf(e.getCause()), e.getCause())), false));
            }
        }
        return attempts;
    }

    /**
     * Starts a connection attempt, or joins the one an earlier report started if it still hangs: a DataSource
     * without login or socket timeouts on a blackholed network never returns, and a new attempt per report
     * would strand one more thread each time. A joined attempt's failure is this report's too (the server did not
     * answer for longer still); its success is not (see {@link #connect}).
     */
    private Pending startAttempt(Target target, ReportConnections dataSource, ExecutorService executor, boolean instanceOnly) {
        synchronized (inFlight) {
            CompletableFuture<ConnectionAttempt> previous = inFlight.get(target);
            if (previous != null && !previous.isDone()) {
                LOG.debug("A connection attempt to the {} from an earlier report still hangs; waiting on it", target);
                return new Pending(previous, true);
            }
            CompletableFuture<ConnectionAttempt> attempt = CompletableFuture.supplyAsync(() -> attempt(target, dataSource, instanceOnly), executor);
            inFlight.put(target, attempt);
            return new Pending(attempt, false);
        }
    }

    private DataSource dataSourceOf(Target target) {
        return target == Target.REPLICA ? config.replica() : config.primary();
    }

    /** A connection attempt this report waits on, and whether an earlier report started it. */
    private record Pending(CompletableFuture<ConnectionAttempt> future, boolean joined) {
    }

    private ConnectionAttempt attempt(Target target, ReportConnections dataSource, boolean instanceOnly) {
        long t0 = System.nanoTime();
        try (ReadOnlySession session = ReadOnlySession.open(dataSource, config.checkTimeout(), Runnable::run)) {
            ServerFacts facts = this.facts.get(target).read(session.connection(), instanceOnly);
            return new ConnectionAttempt(target, Duration.ofNanos(System.nanoTime() - t0), Optional.of(facts),
                    Optional.empty(), false);
        } catch (SQLException e) {
            SQLException error = PoolIntrospector.find(dataSourceOf(target), e).map(SQLException.class::cast).orElse(e);
            return new ConnectionAttempt(target, Duration.ofNanos(System.nanoTime() - t0), Optional.empty(),
                    Optional.of(error), false);
        } catch (RuntimeException e) {
            return new ConnectionAttempt(target, Duration.ofNanos(System.nanoTime() - t0), Optional.empty(),
                    Optional.of(new SQLException(e.toString(), "08000", e)), false);
        }
    }

    private CompletableFuture<CheckResult> submit(DatabaseCheck check, Map<Target, ConnectionAttempt> attempts,
                                                  Map<Target, ReportConnections> connections, Semaphore sessions,
                                                  ExecutorService executor, long deadline) {
        CompletableFuture<CheckResult> result = new CompletableFuture<>();
        ConnectionAttempt attempt = attempts.get(check.target());
        if (check.requiresConnection() && !attempt.succeeded()) {
            result.complete(notConnected(check, attempt));
            return result;
        }
        RunContext context = new RunContext(check, connections, attempts,
                config.settings().getOrDefault(check.id(), Map.of()), config.options(), config.clock(),
                config.checkTimeout(), executor);
        executor.execute(() -> {
            boolean acquired = false;
            try {
                acquired = sessions.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (!acquired) {
                    result.complete(CheckResult.unknown(check, "Not run: the report's deadline of "
                            + SettingValues.format(config.deadline()) + " passed while it waited for a session."));
                    return;
                }
                long t0 = System.nanoTime();
                var watchdog = WATCHDOG.schedule(() -> {
                    if (result.complete(cutOff(check, config.checkTimeout()))) {
                        context.cutOff();
                    }
                }, config.checkTimeout().plus(GRACE).toNanos(), TimeUnit.NANOSECONDS);
                try {
                    result.complete(run(check, context).withDuration(Duration.ofNanos(System.nanoTime() - t0)));
                } finally {
                    watchdog.cancel(false);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                result.complete(CheckResult.unknown(check, "Not run: interrupted."));
            } catch (Throwable t) {
                result.complete(CheckFailures.unknown(check, t, config.checkTimeout(), masker()));
            } finally {
                context.close();
                if (acquired) {
                    sessions.release();
                }
            }
        });
        return result;
    }

    private SecretMasker masker() {
        return config.masker() == null ? SecretMasker.patternsOnly() : config.masker();
    }

    private CheckResult run(DatabaseCheck check, RunContext context) {
        try {
            CheckResult r = check.run(context);
            if (r == null) {
                return CheckResult.unknown(check, "The check returned no result (a bug in " + check.getClass().getName() + ").");
            }
            return r;
        } catch (Throwable t) {
            return CheckFailures.unknown(check, t, config.checkTimeout(), masker());
        }
    }

    private CheckResult await(CompletableFuture<CheckResult> future, DatabaseCheck check, long deadline) {
        try {
            return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            CheckResult late = CheckResult.unknown(check, "Did not finish before the report's deadline of "
                    + SettingValues.format(config.deadline()) + "; cut off.");
            return future.complete(late) ? late : future.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CheckResult.unknown(check, "Interrupted while waiting for the check.");
        } catch (ExecutionException e) {
            return CheckFailures.unknown(check, e.getCause(), config.checkTimeout(), masker());
        }
    }

    private static CheckResult cutOff(DatabaseCheck check, Duration budget) {
        LOG.warn("Check {} ran past its budget of {} and was cut off", check.id(), SettingValues.format(budget));
        return CheckResult.builder(check).status(CheckStatus.UNKNOWN)
                .summary("Did not finish within its budget of " + SettingValues.format(budget) + "; cut off.")
                .remediation("Raise the check timeout if the database is large, or look for what blocks it"
                        + " (blocking-locks).")
                .build();
    }

    private static CheckResult notConnected(DatabaseCheck check, ConnectionAttempt attempt) {
        if (attempt.target() == Target.REPLICA && attempt.error().isEmpty() && !attempt.timedOut()) {
            return CheckResult.skip(check, "No read replica is configured.");
        }
        return CheckResult.unknown(check, "Not run: cannot connect to the "
                + attempt.target().name().toLowerCase() + " database (see the connectivity check).");
    }
}
