package io.ampora.dbguard.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on 127.0.0.1 between the driver and PostgreSQL that breaks the network on demand, without
 * Docker: pass-through, accept-and-never-answer ({@link #blackhole()}), reset with RST after some bytes
 * or at once ({@link #resetAfterBytes(long)}, {@link #resetAll()}), added latency ({@link #latency(long)})
 * and refuse (stop listening, {@link #refuse()}). Modes switch at runtime. Threads are bounded: at most
 * {@link #MAX_CONNECTIONS} live connections (two pump threads each) plus the accept thread; beyond that a
 * new connection is closed at once. {@link #close()} closes every socket and lets every thread end.
 *
 * <pre>{@code
 * try (FaultProxy proxy = FaultProxy.start(server.host(), server.port())) {
 *     String url = proxy.jdbcUrl(db.name());
 *     proxy.blackhole();   // connections are accepted, nothing ever comes back
 * }
 * }</pre>
 */
public final class FaultProxy implements AutoCloseable {

    /** Upper bound of live proxied connections. */
    public static final int MAX_CONNECTIONS = 32;
    /** Prefix of every thread the proxy starts, so tests can leave them out of thread counts. */
    public static final String THREAD_PREFIX = "fault-proxy-";

    private enum Mode { PASS, BLACKHOLE, LATENCY, RESET_AFTER }

    private static final AtomicInteger THREADS = new AtomicInteger();

    private final String upstreamHost;
    private final int upstreamPort;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private volatile Mode mode = Mode.PASS;
    private volatile long latencyMillis;
    private volatile long resetAfter;
    private volatile ServerSocket listener;
    private volatile boolean closed;
    private final int port;

    private FaultProxy(String upstreamHost, int upstreamPort) throws IOException {
        this.upstreamHost = upstreamHost;
        this.upstreamPort = upstreamPort;
        this.listener = listen(0);
        this.port = listener.getLocalPort();
    }

    /**
     * Starts a pass-through proxy to a server.
     *
     * @param upstreamHost the server's host
     * @param upstreamPort the server's port
     * @return the running proxy
     */
    public static FaultProxy start(String upstreamHost, int upstreamPort) {
        try {
            return new FaultProxy(upstreamHost, upstreamPort);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the proxy's port on 127.0.0.1 */
    public int port() {
        return port;
    }

    /**
     * @param database a database name
     * @return a JDBC URL through the proxy
     */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** Forwards everything unchanged; listens again if it was refusing. */
    public synchronized void pass() {
        mode = Mode.PASS;
        relisten();
    }

    /**
     * New connections are accepted and never answered, even after the mode changes (their sockets stay
     * open until {@link #close()}); live ones stop forwarding until the mode changes, as in a network
     * partition.
     */
    public synchronized void blackhole() {
        mode = Mode.BLACKHOLE;
        relisten();
    }

    /**
     * Forwards everything, each chunk delayed.
     *
     * @param millis the delay per chunk in each direction
     */
    public synchronized void latency(long millis) {
        latencyMillis = millis;
        mode = Mode.LATENCY;
        relisten();
    }

    /**
     * Resets (RST) every connection, new and live, once it has carried this many bytes from the server.
     *
     * @param bytes the bytes from the server before the reset; 0 resets at the first byte
     */
    public synchronized void resetAfterBytes(long bytes) {
        resetAfter = bytes;
        mode = Mode.RESET_AFTER;
        relisten();
    }

    /** Resets (RST) every live connection now; the mode stays as it is. */
    public void resetAll() {
        for (Link link : links) {
            link.reset();
        }
    }

    /** Stops listening, so connections are refused; live ones are reset. {@link #pass()} listens again. */
    public synchronized void refuse() {
        closeQuietly(listener);
        listener = null;
        resetAll();
    }

    /** @return how many connections are live */
    public int liveConnections() {
        return links.size();
    }

    private void relisten() {
        if (listener == null && !closed) {
            try {
                listener = listen(port);
            } catch (IOException e) {
                throw new UncheckedIOException("could not listen again on port " + port, e);
            }
        }
    }

    private ServerSocket listen(int onPort) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort), 50);
        ServerSocket current = s;
        thread("accept", () -> acceptLoop(current)).start();
        return s;
    }

    private void acceptLoop(ServerSocket server) {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            if (links.size() >= MAX_CONNECTIONS || closed) {
                rst(client);
                continue;
            }
            Link link = new Link(client);
            links.add(link);
            link.start();
        }
    }

    private static Thread thread(String name, Runnable body) {
        Thread t = new Thread(body, THREAD_PREFIX + name + "-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        return t;
    }

    private static void rst(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (SocketException e) {
            // already closed
        }
        closeQuietly(s);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            // best effort
        }
    }

    /** Closes the listener and every connection; every proxy thread ends soon after. */
    @Override
    public synchronized void close() {
        closed = true;
        closeQuietly(listener);
        listener = null;
        for (Link link : links) {
            link.close();
        }
        links.clear();
    }

    /** One client connection and its upstream, with a pump thread per direction. */
    private final class Link {
        private final Socket client;
        private volatile Socket upstream;
        private final AtomicLong fromServer = new AtomicLong();
        private volatile boolean done;

        Link(Socket client) {
            this.client = client;
        }

        void start() {
            thread("link", this::runUpstream).start();
        }

        private void runUpstream() {
            try {
                if (mode == Mode.BLACKHOLE) {
                    // Accepted and then left alone for good: no upstream, no answer, until close().
                    while (!done) {
                        Thread.sleep(50);
                    }
                    return;
                }
                Socket up = new Socket();
                up.connect(new InetSocketAddress(upstreamHost, upstreamPort), 5_000);
                upstream = up;
                if (done) {
                    close();
                    return;
                }
                Thread back = thread("pump-down", () -> pump(up, client, true));
                back.start();
                pump(client, up, false);
            } catch (IOException | InterruptedException e) {
                close();
            }
        }

        private void pump(Socket from, Socket to, boolean serverToClient) {
            byte[] buffer = new byte[8192];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int n;
                while (!done && (n = in.read(buffer)) >= 0) {
                    while (mode == Mode.BLACKHOLE && !done) {
                        Thread.sleep(20);
                    }
                    if (mode == Mode.LATENCY) {
                        Thread.sleep(latencyMillis);
                    }
                    if (mode == Mode.RESET_AFTER && serverToClient) {
                        long allowed = resetAfter - fromServer.get();
                        if (allowed < n) {
                            if (allowed > 0) {
                                out.write(buffer, 0, (int) allowed);
                                out.flush();
                            }
                            reset();
                            return;
                        }
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                    if (serverToClient) {
                        fromServer.addAndGet(n);
                    }
                }
                close();
            } catch (IOException | InterruptedException e) {
                close();
            }
        }

        /** RST to both sides. */
        void reset() {
            done = true;
            rst(client);
            Socket up = upstream;
            if (up != null) {
                rst(up);
            }
            links.remove(this);
        }

        void close() {
            done = true;
            closeQuietly(client);
            closeQuietly(upstream);
            links.remove(this);
        }
    }
}
