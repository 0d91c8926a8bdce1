package io.ampora.dbguard.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The one polling helper of the project's tests (every module gets it through core's test-jar): waits for a
 * state instead of sleeping for a fixed time that is too short on a loaded machine and too long on a quiet
 * one. Polls every 20 ms; the condition may throw (an SQL query), which fails the wait with that exception.
 *
 * <pre>{@code
 * Await.until("the monitor's first report", Duration.ofSeconds(20), () -> monitor.lastReport().isPresent());
 * boolean drained = Await.holds(Duration.ofSeconds(3), () -> pool.active() == 0); // to assert on it yourself
 * }</pre>
 */
public final class Await {

    private static final long POLL_MILLIS = 20;

    /** A condition that may throw, such as a query. */
    @FunctionalInterface
    public interface Condition {
        /**
         * @return whether the awaited state is reached
         * @throws Exception when checking fails
         */
        boolean holds() throws Exception;
    }

    /** An attempt that yields a value, such as running a check. */
    @FunctionalInterface
    public interface Attempt<T> {
        /**
         * @return this attempt's value
         * @throws Exception when the attempt fails
         */
        T get() throws Exception;
    }

    private Await() {
    }

    /**
     * Repeats an attempt until its value is the awaited one, and returns that value: for a check that
     * turns WARN once the state it watches is reached.
     *
     * @param what     what is awaited, for the failure message
     * @param within   how long at most
     * @param attempt  what to repeat
     * @param done     whether a value is the awaited one
     * @return the first awaited value
     * @param <T>      the value type
     * @throws AssertionError when no attempt gave it in time (showing the last value), or when an attempt throws
     * @throws InterruptedException when interrupted
     */
    public static <T> T value(String what, Duration within, Attempt<T> attempt, Predicate<? super T> done)
            throws InterruptedException {
        List<T> last = new ArrayList<>(1);
        boolean reached = holds(within, () -> {
            T value = attempt.get();
            last.clear();
            last.add(value);
            return done.test(value);
        });
        if (!reached) {
            throw new AssertionError("Timed out after " + within.toMillis() + " ms waiting for " + what
                    + "; last: " + (last.isEmpty() ? "none" : last.get(0)));
        }
        return last.get(0);
    }

    /**
     * Waits until the condition holds.
     *
     * @param what      what is awaited, for the failure message
     * @param within    how long at most
     * @param condition the state
     * @throws AssertionError when it does not hold in time (naming {@code what} and the time), or when the
     *                        condition throws
     * @throws InterruptedException when interrupted
     */
    public static void until(String what, Duration within, Condition condition) throws InterruptedException {
        until(() -> what, within, condition);
    }

    /**
     * Waits until the condition holds; the description is built only on failure (it may show the last state).
     *
     * @param what      what is awaited, for the failure message
     * @param within    how long at most
     * @param condition the state
     * @throws AssertionError when it does not hold in time, or when the condition throws
     * @throws InterruptedException when interrupted
     */
    public static void until(Supplier<String> what, Duration within, Condition condition) throws InterruptedException {
        if (!holds(within, condition)) {
            throw new AssertionError("Timed out after " + within.toMillis() + " ms waiting for " + what.get());
        }
    }

    /**
     * Polls the condition until it holds or the time is up, and says which.
     *
     * @param within    how long at most
     * @param condition the state
     * @return whether it held within the time (checked once more at the end)
     * @throws AssertionError when the condition throws
     * @throws InterruptedException when interrupted
     */
    public static boolean holds(Duration within, Condition condition) throws InterruptedException {
        long until = System.nanoTime() + within.toNanos();
        while (true) {
            if (check(condition)) {
                return true;
            }
            if (System.nanoTime() - until >= 0) {
                return false;
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    private static boolean check(Condition condition) throws InterruptedException {
        try {
            return condition.holds();
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError("The awaited condition failed: " + e, e);
        }
    }
}
