package io.ampora.dbguard.hikari;

import io.ampora.dbguard.internal.SettingValues;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A connection leak, or a suspected one, with the evidence to find the code that holds it.
 *
 * <p>The holder's current stack separates a long query (stuck in a socket read) from a leak (parked
 * elsewhere); the session's state in {@code pg_stat_activity} says what the database sees: {@code active}
 * is a slow query or a lock wait, {@code idle in transaction} a transaction held open during work that
 * is not database work, {@code idle} a connection borrowed and not used.
 *
 * @param kind         what happened
 * @param pool         the pool's name
 * @param leaseId      the lease number, unique within the pool
 * @param backendPid   the PostgreSQL backend PID, -1 when unknown
 * @param thread       the name of the thread that borrowed the connection
 * @param borrowedAt   when it was borrowed
 * @param heldFor      how long it was held when reported (for {@link Kind#RETURNED}: the total hold time)
 * @param borrowSite   the application frames that borrowed it (HikariCP, reflection and proxy frames
 *                     removed); empty when the borrow was not sampled
 * @param holderStack  the holder thread's stack when reported; empty when not applicable
 * @param sessionState the session's {@code pg_stat_activity.state}; empty when it could not be read
 * @param query        the session's current or last query; empty when unknown
 * @param reclaimed    for {@link Kind#UNCLOSED}: whether the connection was rolled back and returned to
 *                     HikariCP ({@link PoolGuardConfig.Builder#reclaimUnclosed(boolean)}); false otherwise
 */
public record LeakReport(Kind kind, String pool, long leaseId, int backendPid, String thread, Instant borrowedAt,
                         Duration heldFor, List<StackTraceElement> borrowSite, List<StackTraceElement> holderStack,
                         String sessionState, String query, boolean reclaimed) {

    /** What the report is about. */
    public enum Kind {
        /** Held longer than the leak threshold and not yet returned. */
        HELD_TOO_LONG,
        /** A connection reported as held too long was returned after all. */
        RETURNED,
        /**
         * The connection became unreachable without close(): a certain leak; it never returns to the pool unless
         * {@link PoolGuardConfig.Builder#reclaimUnclosed(boolean)} is on ({@link #reclaimed()}).
         */
        UNCLOSED
    }

    /** Freezes the stacks and replaces nulls. */
    public LeakReport {
        borrowSite = List.copyOf(borrowSite);
        holderStack = List.copyOf(holderStack);
        sessionState = sessionState == null ? "" : sessionState;
        query = query == null ? "" : query;
    }

    /**
     * A report of a connection that was not reclaimed, as before {@code reclaimed} existed.
     *
     * @param kind         see the record components
     * @param pool         see the record components
     * @param leaseId      see the record components
     * @param backendPid   see the record components
     * @param thread       see the record components
     * @param borrowedAt   see the record components
     * @param heldFor      see the record components
     * @param borrowSite   see the record components
     * @param holderStack  see the record components
     * @param sessionState see the record components
     * @param query        see the record components
     */
    public LeakReport(Kind kind, String pool, long leaseId, int backendPid, String thread, Instant borrowedAt,
                      Duration heldFor, List<StackTraceElement> borrowSite, List<StackTraceElement> holderStack,
                      String sessionState, String query) {
        this(kind, pool, leaseId, backendPid, thread, borrowedAt, heldFor, borrowSite, holderStack, sessionState,
                query, false);
    }

    /**
     * What the database state means for this lease, in the runbook's words.
     *
     * @return a clause, empty when the state is unknown
     */
    public String interpretation() {
        return switch (sessionState) {
            case "active" -> "the session is running a query: a slow query or a lock wait, not a leak (runbook 3)";
            case "idle in transaction", "idle in transaction (aborted)" ->
                    "the session holds an open transaction while the application does other work";
            case "idle" -> "the connection is borrowed but unused: a leak, or work that does not need the database";
            default -> "";
        };
    }

    /**
     * The report as one readable paragraph, as logged.
     *
     * @return the message
     */
    public String message() {
        StringBuilder m = new StringBuilder();
        switch (kind) {
            case HELD_TOO_LONG -> m.append("Connection held for ").append(format(heldFor)).append(" (possible leak)");
            case RETURNED -> m.append("Connection reported as held too long was returned after ").append(format(heldFor));
            case UNCLOSED -> m.append("Connection leaked: it became unreachable without close() after ")
                    .append(format(heldFor)).append(reclaimed ? "; it was returned to the pool after rollback"
                            : " and never returns to the pool");
        }
        m.append("; pool ").append(pool).append(", lease ").append(leaseId);
        if (backendPid > 0) {
            m.append(", backend pid ").append(backendPid);
        }
        m.append(", borrowed by thread '").append(thread).append("' at ").append(borrowedAt).append('.');
        if (!sessionState.isEmpty()) {
            m.append(" Session state '").append(sessionState).append("': ").append(interpretation()).append('.');
        }
        if (!query.isEmpty()) {
            m.append(" Query: ").append(query.length() > 200 ? query.substring(0, 200) + "..." : query).append('.');
        }
        m.append(borrowSite.isEmpty() ? "\nBorrow site not sampled (set PoolGuardConfig sampleEvery(1) to capture every borrow)."
                : "\nBorrowed at:" + frames(borrowSite));
        if (!holderStack.isEmpty()) {
            m.append("\nHolder thread is now at:").append(frames(holderStack));
        }
        return m.toString();
    }

    static String frames(List<StackTraceElement> stack) {
        StringBuilder s = new StringBuilder();
        for (StackTraceElement e : stack) {
            s.append("\n\tat ").append(e);
        }
        return s.toString();
    }

    /** @return a duration as every message of the project shows it ({@link SettingValues#format}) */
    static String format(Duration d) {
        return SettingValues.format(d);
    }
}
