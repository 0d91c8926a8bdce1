package io.ampora.dbguard.hikari;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test load for fault tests: threads that borrow from a pool, run one short query and return the
 * connection, in a loop, and sort every outcome into a working connection, a clear {@link SQLException}
 * (one with a message) or anything else (which a test must find empty). Each thread keeps its own loop
 * going whatever happens, so a fault mid-query is followed by the next borrow at once.
 */
final class Borrowers implements AutoCloseable {

    private final GuardedPool pool;
    private final String sql;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong clearErrors = new AtomicLong();
    private final AtomicLong lastOkNanos = new AtomicLong();
    private final Map<String, Long> errorKinds = new TreeMap<>();
    private final Map<String, String> samples = new TreeMap<>();
    private final Queue<Throwable> unclear = new ConcurrentLinkedQueue<>();
    private final AtomicLong longestOperationNanos = new AtomicLong();

    Borrowers(GuardedPool pool, int count, String sql, String name) {
        this.pool = pool;
        this.sql = sql;
        for (int i = 0; i < count; i++) {
            Thread t = new Thread(this::loop, name + "-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
    }

    Borrowers start() {
        threads.forEach(Thread::start);
        return this;
    }

    private void loop() {
        while (!stop.get()) {
            long t0 = System.nanoTime();
            try (Connection c = pool.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                ok.incrementAndGet();
                lastOkNanos.set(System.nanoTime());
            } catch (SQLException e) {
                if (e.getMessage() == null || e.getMessage().isBlank()) {
                    unclear.add(e);
                } else {
                    clearErrors.incrementAndGet();
                    String kind = e instanceof PoolExhaustedException pe
                            ? "PoolExhaustedException " + pe.diagnosis().cause() + " " + e.getSQLState()
                            : e.getClass().getSimpleName() + " " + e.getSQLState();
                    synchronized (errorKinds) {
                        errorKinds.merge(kind, 1L, Long::sum);
                        samples.putIfAbsent(kind, e.getMessage());
                    }
                }
                pause(20);
            } catch (Throwable t) {
                unclear.add(t);
                pause(20);
            } finally {
                longestOperationNanos.accumulateAndGet(System.nanoTime() - t0, Math::max);
            }
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops the loops and waits for every thread.
     *
     * @param within how long all of them may take to finish
     * @return the threads still alive afterwards (a wedged borrower), empty when all finished
     */
    List<String> stopAndJoin(Duration within) throws InterruptedException {
        stop.set(true);
        long until = System.nanoTime() + within.toNanos();
        List<String> alive = new ArrayList<>();
        for (Thread t : threads) {
            t.join(Math.max(1, (until - System.nanoTime()) / 1_000_000));
            if (t.isAlive()) {
                alive.add(t.getName() + " at " + List.of(t.getStackTrace()).subList(0, Math.min(8, t.getStackTrace().length)));
            }
        }
        return alive;
    }

    long ok() {
        return ok.get();
    }

    long clearErrors() {
        return clearErrors.get();
    }

    long lastOkNanos() {
        return lastOkNanos.get();
    }

    Map<String, Long> errorKinds() {
        synchronized (errorKinds) {
            return new TreeMap<>(errorKinds);
        }
    }

    /** @return the first message seen of each kind of error */
    Map<String, String> samples() {
        synchronized (errorKinds) {
            return new TreeMap<>(samples);
        }
    }

    List<Throwable> unclear() {
        return List.copyOf(unclear);
    }

    Duration longestOperation() {
        return Duration.ofNanos(longestOperationNanos.get());
    }

    @Override
    public void close() throws InterruptedException {
        stopAndJoin(Duration.ofSeconds(10));
    }
}
