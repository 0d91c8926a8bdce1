package io.ampora.dbguard.micrometer;

import io.ampora.dbguard.diagnosis.SqlErrorCause;
import io.ampora.dbguard.diagnosis.SqlErrorDiagnosis;
import io.ampora.dbguard.diagnosis.SqlErrors;
import io.ampora.dbguard.internal.SettingValues;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The failed statements by cause: explains each failure with {@link SqlErrors#explain(Throwable)}, counts it in
 * {@value QueryMetrics#QUERY_ERRORS} and logs a cause at WARN the first time it is seen, then at most once per
 * {@link QueryMetrics#ERROR_LOG_INTERVAL} with how many occurred since the last line. Called only where a
 * statement's error outcome is recorded, never on the success path.
 */
final class QueryErrors {

    private static final Logger LOG = LoggerFactory.getLogger(QueryMetrics.class);
    private static final SqlErrorCause[] CAUSES = SqlErrorCause.values();
    private static final String[] CAUSE_TAGS = new String[CAUSES.length];

    static {
        for (SqlErrorCause cause : CAUSES) {
            CAUSE_TAGS[cause.ordinal()] = tagOf(cause);
        }
    }

    private final MeterRegistry registry;
    private final LongSupplier nanoClock;
    private final Map<Key, Counter> counters = new ConcurrentHashMap<>();
    private final CauseLog[] logs = new CauseLog[CAUSES.length];

    QueryErrors(MeterRegistry registry, LongSupplier nanoClock) {
        this.registry = registry;
        this.nanoClock = nanoClock;
        for (int i = 0; i < logs.length; i++) {
            logs[i] = new CauseLog();
        }
    }

    /** The {@code cause} tag of a cause: its name in lower case with dashes, {@code statement-timeout}. */
    static String tagOf(SqlErrorCause cause) {
        return cause.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * Counts and maybe logs one failed statement. Never throws an exception of its own: the application must
     * get the statement's exception, not one of the metrics.
     *
     * @param error        what the statement threw
     * @param operation    the statement's operation name, for the log line
     * @param operationTag the operation tag of the statement's timer (bounded: {@code other} beyond the limit)
     */
    void record(Throwable error, String operation, String operationTag) {
        try {
            SqlErrorDiagnosis why = SqlErrors.explain(error);
            counter(why, operationTag).increment();
            Due due = logs[why.cause().ordinal()].due(nanoClock.getAsLong(), QueryMetrics.ERROR_LOG_INTERVAL.toNanos());
            if (due != null) {
                log(why, operation, due);
            }
        } catch (RuntimeException bug) {
            LOG.debug("Could not count a failed statement by cause; the statement's own exception is unchanged", bug);
        }
    }

    private Counter counter(SqlErrorDiagnosis why, String operationTag) {
        return counters.computeIfAbsent(new Key(why.cause(), why.retryable(), operationTag), k -> Counter
                .builder(QueryMetrics.QUERY_ERRORS)
                .description("Failed JDBC statements (execute*) by cause, as SqlErrors.explain reads the exception")
                .tag("cause", CAUSE_TAGS[k.cause().ordinal()])
                .tag("retryable", Boolean.toString(k.retryable()))
                .tag("operation", k.operation())
                .register(registry));
    }

    private static void log(SqlErrorDiagnosis why, String operation, Due due) {
        // meaning and fix only: the message and DETAIL hold the user's data (a duplicate key's value)
        LOG.warn("Statements fail with {} (SQLSTATE {}, operation {}, {}): {}. Meaning: {} Fix: {} Related check: {}."
                        + " Runbook: {}.",
                CAUSE_TAGS[why.cause().ordinal()], why.sqlState().isEmpty() ? "none" : why.sqlState(), operation,
                why.retryable() ? "retryable" : "not retryable",
                due.first() ? "first seen" : due.count() + " since the last line "
                        + SettingValues.format(Duration.ofNanos(due.sinceNanos())) + " ago",
                why.meaning(), why.fix(), why.relatedCheck().orElse("none"), why.runbookSection().label());
    }

    private record Key(SqlErrorCause cause, boolean retryable, String operation) {
    }

    /** A line to log: how many of its cause occurred since the last line, this one included, and how long ago that was. */
    private record Due(long count, long sinceNanos, boolean first) {
    }

    /** When one cause was last logged and how many of it occurred since. */
    private static final class CauseLog {
        private boolean logged;
        private long lastLogNanos;
        private long since;

        /** @return the line to log, or null when a line of this cause was logged less than an interval ago */
        synchronized Due due(long now, long everyNanos) {
            since++;
            if (logged && now - lastLogNanos < everyNanos) {
                return null;
            }
            Due due = new Due(since, now - lastLogNanos, !logged);
            logged = true;
            lastLogNanos = now;
            since = 0;
            return due;
        }
    }
}
