package io.ampora.dbguard.health;

import com.sun.net.httpserver.HttpServer;
import io.ampora.dbguard.monitor.DbGuardMonitor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small HTTP server (the JDK's {@code com.sun.net.httpserver}) serving a monitor's health endpoints
 * under {@code /health}: {@code /health/live}, {@code /health/ready}, {@code /health/started} and
 * {@code /health/report}. For an application that has no web stack, or wants health on its own port.
 *
 * <pre>{@code
 * try (HealthServer health = HealthServer.start(monitor, new InetSocketAddress(8081))) { ... }
 * }</pre>
 *
 * <p>An application that already runs an {@code HttpServer} mounts {@link HealthHandler} instead (and
 * should run with {@code -Dsun.net.httpserver.nodelay=true}, which this class sets when it is not set, or
 * each small response waits ~40 ms for a delayed ACK).
 */
public final class HealthServer implements AutoCloseable {

    private static final AtomicInteger THREADS = new AtomicInteger();

    private final HttpServer server;
    private final ExecutorService executor;

    private HealthServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Starts serving.
     *
     * @param monitor the monitor whose last results to serve
     * @param address where to listen; port 0 picks a free one (read it from {@link #port()})
     * @return the running server
     * @throws UncheckedIOException when the address cannot be bound, naming it
     */
    public static HealthServer start(DbGuardMonitor monitor, InetSocketAddress address) {
        Objects.requireNonNull(monitor, "monitor");
        Objects.requireNonNull(address, "address");
        // The JDK server writes headers and body separately; with Nagle's algorithm on, the body waits for
        // the client's delayed ACK (~40 ms per request). The property is read once, when the first server
        // is created; an explicit setting by the application wins.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        HttpServer server;
        try {
            server = HttpServer.create(address, 128);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot serve health endpoints on " + address + ": " + e.getMessage()
                    + "; choose another port or use port 0", e);
        }
        ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "dbguard-health-http-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/health", new HealthHandler(monitor));
        server.start();
        return new HealthServer(server, executor);
    }

    /** @return the port it listens on */
    public int port() {
        return server.getAddress().getPort();
    }

    /** @return the address it listens on */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** Stops serving at once; the monitor keeps running (close it separately). */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
