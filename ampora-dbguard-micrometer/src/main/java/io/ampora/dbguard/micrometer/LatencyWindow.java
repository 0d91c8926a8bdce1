package io.ampora.dbguard.micrometer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The most recent samples of a duration (at most {@link #CAPACITY}), for exact percentiles over a recent
 * window whatever the meter registry does with its own histograms (Prometheus' are cumulative forever,
 * others decay on their own schedule). Recording is one atomic increment and three array writes; reading
 * copies and sorts the samples of the window. A reader racing a writer may see one sample half-written,
 * which a health check tolerates.
 */
final class LatencyWindow {

    /** How many samples are kept: enough for a stable p95, small enough to sort in microseconds. */
    static final int CAPACITY = 2048;
    private static final int MASK = CAPACITY - 1;

    private final AtomicLong count = new AtomicLong();
    private final long[] nanos = new long[CAPACITY];
    private final long[] endedAt = new long[CAPACITY];
    private final String[] operations = new String[CAPACITY];

    /**
     * Stats of the samples in a window.
     *
     * @param samples     how many samples
     * @param p50         the median
     * @param p95         the 95th percentile
     * @param max         the largest
     * @param slowest     the operation with the highest p95 among those with at least 5 samples, or ""
     * @param slowestP95  that operation's p95
     */
    record Stats(int samples, Duration p50, Duration p95, Duration max, String slowest, Duration slowestP95) {
    }

    void record(long durationNanos, long endNanoTime, String operation) {
        int i = (int) (count.getAndIncrement() & MASK);
        nanos[i] = durationNanos;
        operations[i] = operation;
        endedAt[i] = endNanoTime;
    }

    Stats stats(Duration window, long nowNanoTime) {
        long filled = Math.min(count.get(), CAPACITY);
        long from = nowNanoTime - window.toNanos();
        long[] values = new long[(int) filled];
        Map<String, List<Long>> byOperation = new HashMap<>();
        int n = 0;
        for (int i = 0; i < filled; i++) {
            if (endedAt[i] - from >= 0) {
                values[n++] = nanos[i];
                String op = operations[i];
                if (op != null) {
                    byOperation.computeIfAbsent(op, k -> new ArrayList<>()).add(nanos[i]);
                }
            }
        }
        if (n == 0) {
            return new Stats(0, Duration.ZERO, Duration.ZERO, Duration.ZERO, "", Duration.ZERO);
        }
        long[] window1 = Arrays.copyOf(values, n);
        Arrays.sort(window1);
        String slowest = "";
        long slowestP95 = 0;
        for (Map.Entry<String, List<Long>> e : byOperation.entrySet()) {
            if (e.getValue().size() >= 5) {
                long[] op = e.getValue().stream().mapToLong(Long::longValue).sorted().toArray();
                long p95 = percentile(op, 0.95);
                if (p95 > slowestP95) {
                    slowest = e.getKey();
                    slowestP95 = p95;
                }
            }
        }
        return new Stats(n, Duration.ofNanos(percentile(window1, 0.50)), Duration.ofNanos(percentile(window1, 0.95)),
                Duration.ofNanos(window1[n - 1]), slowest, Duration.ofNanos(slowestP95));
    }

    /** Nearest-rank percentile of sorted values. */
    private static long percentile(long[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
