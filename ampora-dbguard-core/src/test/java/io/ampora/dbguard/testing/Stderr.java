package io.ampora.dbguard.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Captures {@code System.err}, where slf4j-simple writes the library's log lines in the tests: the one copy of the
 * swap-and-restore that the log tests share (secrets never logged, WARN lines rate-limited, status changes logged).
 */
public final class Stderr {

    /** Something to run while the output is captured. */
    @FunctionalInterface
    public interface Action {
        /**
         * @throws Exception whatever the action throws; the capture ends either way
         */
        void run() throws Exception;
    }

    private Stderr() {
    }

    /**
     * Runs an action with {@code System.err} captured and restored afterwards, even when the action throws.
     *
     * @param action what to run
     * @return what was written to {@code System.err} meanwhile
     * @throws Exception what the action throws
     */
    public static String capture(Action action) throws Exception {
        PrintStream before = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(before);
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }

    /**
     * Like {@link #capture} and proves that log lines reach the capture: a WARN through SLF4J is written first and
     * must be in it, so that a test asserting that something is <em>not</em> logged cannot pass because logging went
     * elsewhere.
     *
     * @param action what to run
     * @return what was written to {@code System.err} meanwhile, the proof line included
     * @throws Exception what the action throws
     * @throws AssertionError when the proof line did not arrive
     */
    public static String captureLogs(Action action) throws Exception {
        String log = capture(() -> {
            org.slf4j.LoggerFactory.getLogger(Stderr.class).warn("log capture is on");
            action.run();
        });
        if (!log.contains("log capture is on")) {
            throw new AssertionError("SLF4J's output did not reach System.err: the log capture proves nothing");
        }
        return log;
    }
}
