package io.ampora.dbguard.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A real streaming replica pair for tests: an embedded primary of its own (not one of the shared servers)
 * and a hot standby streaming from it, built without {@code pg_basebackup} (the embedded bundle has none):
 * start the primary with {@code wal_level=replica}, stop it cleanly, copy its data directory, add
 * {@code standby.signal} and {@code primary_conninfo}, start both. About five seconds; stop it with
 * {@link #close()} after the test class.
 *
 * <pre>{@code
 * try (StreamingReplica pair = StreamingReplica.start("17")) {
 *     pair.primary().adminExecute("CREATE TABLE t (id int)");
 *     pair.awaitReplayed(Duration.ofSeconds(10));
 *     pair.standby().adminDataSource("postgres") ... // read-only hot standby
 * }
 * }</pre>
 */
public final class StreamingReplica implements AutoCloseable {

    /** Files of a stopped server that must not be copied into the standby's data directory. */
    private static final Set<String> NOT_COPIED = Set.of("postmaster.pid", "postmaster.opts", "epg-lock");
    /** The {@code application_name} the standby's WAL receiver shows in the primary's pg_stat_replication. */
    public static final String STANDBY_NAME = "ampora_test_standby";

    private final Node primary;
    private final Node standby;

    private StreamingReplica(Node primary, Node standby) {
        this.primary = primary;
        this.standby = standby;
    }

    /**
     * Builds and starts a primary and a streaming standby of one version, and waits until the standby streams.
     *
     * @param major the major version, "13" to "18"
     * @return the running pair
     */
    public static StreamingReplica start(String major) {
        Assumptions.assumeTrue(PostgresServers.embedded(),
                "a streaming replica is built from the embedded PostgreSQL only; the configured server is external");
        Map<String, String> common = Map.of("max_connections", "100", "fsync", "off", "hot_standby", "on",
                "wal_receiver_status_interval", "1s", "wal_retrieve_retry_interval", "500ms");
        Map<String, String> primarySettings = new HashMap<>(common);
        primarySettings.put("wal_level", "replica");
        primarySettings.put("max_wal_senders", "5");
        Node primary = null;
        Node standby = null;
        try {
            primary = new Node(major, Files.createTempDirectory("ampora-pg" + major + "-primary-"), primarySettings,
                    "primary");
            primary.stop();
            Path copy = Files.createTempDirectory("ampora-pg" + major + "-standby-");
            copyDataDirectory(primary.dataDirectory, copy);
            Files.writeString(copy.resolve("standby.signal"), "", StandardCharsets.UTF_8);
            Files.writeString(copy.resolve("postgresql.auto.conf"), "\nprimary_conninfo = 'host=localhost port="
                            + primary.port() + " user=postgres application_name=" + STANDBY_NAME + "'\n",
                    StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            primary.start();
            standby = new Node(major, copy, common, "hot standby");
            StreamingReplica pair = new StreamingReplica(primary, standby);
            pair.awaitStreaming(Duration.ofSeconds(30));
            return pair;
        } catch (IOException e) {
            stopQuietly(primary, standby);
            throw new UncheckedIOException("could not build a streaming replica of PostgreSQL " + major, e);
        } catch (RuntimeException | Error e) {
            stopQuietly(primary, standby);
            throw e;
        }
    }

    /** @return the primary, a superuser {@code postgres} without password */
    public PostgresServer primary() {
        return primary;
    }

    /** @return the hot standby streaming from the primary (read-only) */
    public PostgresServer standby() {
        return standby;
    }

    /**
     * Waits until the standby has replayed everything the primary has written so far.
     *
     * @param timeout how long to wait at most
     */
    public void awaitReplayed(Duration timeout) {
        String target = queryOne(primary, "SELECT pg_catalog.pg_current_wal_insert_lsn()::text");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String caughtUp = queryOne(standby, "SELECT pg_catalog.pg_last_wal_replay_lsn() >= '" + target + "'::pg_lsn");
            if ("t".equals(caughtUp)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the standby did not replay up to " + target + " within " + timeout);
            }
            sleep(50);
        }
    }

    /**
     * Stops the primary (the standby keeps running, its WAL receiver loses its connection); bring it
     * back with {@link #startPrimary()}.
     */
    public void stopPrimary() {
        primary.stop();
    }

    /** Starts the primary again on the same port and waits until the standby streams from it again. */
    public void startPrimary() {
        primary.start();
        awaitStreaming(Duration.ofSeconds(30));
    }

    private void awaitStreaming(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!"streaming".equals(queryOne(standby, "SELECT status FROM pg_catalog.pg_stat_wal_receiver"))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the standby on port " + standby.port() + " does not stream from the"
                        + " primary on port " + primary.port() + " within " + timeout);
            }
            sleep(100);
        }
    }

    /**
     * Runs a query as the superuser on the {@code postgres} database of one of the two servers.
     *
     * @param server {@link #primary()} or {@link #standby()}
     * @param sql    a query returning one row and column
     * @return the value as text, null when there is no row
     */
    public static String queryOne(PostgresServer server, String sql) {
        try (Connection c = server.adminDataSource("postgres").getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(sql + " failed on port " + server.port() + ": " + e.getMessage(), e);
        }
    }

    /** Stops both servers and deletes their data directories. */
    @Override
    public void close() {
        stopQuietly(primary, standby);
    }

    private static void stopQuietly(Node primary, Node standby) {
        for (Node node : new Node[] {standby, primary}) {
            if (node != null) {
                if (node.postgres != null) {
                    node.stop();
                }
                deleteQuietly(node.dataDirectory);
            }
        }
    }

    private static void copyDataDirectory(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                if (NOT_COPIED.contains(source.getFileName().toString())) {
                    continue;
                }
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort: it is a temporary directory
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * One of the two servers: zonky on a data directory it never deletes (zonky removes a directory it
     * initialised itself when it stops, which would lose the primary's data between stop and copy).
     */
    private static final class Node implements PostgresServer {
        private final String major;
        private final Path dataDirectory;
        private final Map<String, String> settings;
        private final String role;
        private volatile EmbeddedPostgres postgres;
        private volatile int port;

        Node(String major, Path dataDirectory, Map<String, String> settings, String role) {
            this.major = major;
            this.dataDirectory = dataDirectory;
            this.settings = settings;
            this.role = role;
            start();
        }

        synchronized void start() {
            try {
                EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                        .setPgBinaryResolver((system, machine) -> PgBinaries.open(major))
                        .setDataDirectory(dataDirectory)
                        .setCleanDataDirectory(false)
                        .setPGStartupWait(Duration.ofSeconds(30));
                if (port > 0) {
                    builder.setPort(port);
                }
                settings.forEach(builder::setServerConfig);
                postgres = builder.start();
                port = postgres.getPort();
            } catch (IOException e) {
                throw new UncheckedIOException("could not start the embedded PostgreSQL " + major + " " + role
                        + ": " + e.getMessage(), e);
            }
        }

        @Override
        public String host() {
            return "localhost";
        }

        @Override
        public int port() {
            return port;
        }

        @Override
        public String adminUser() {
            return "postgres";
        }

        @Override
        public String adminPassword() {
            return "";
        }

        @Override
        public int majorVersion() {
            return Integer.parseInt(major);
        }

        @Override
        public String describe() {
            return "embedded PostgreSQL " + PgBinaries.VERSIONS.get(major) + " " + role;
        }

        @Override
        public synchronized void stop() {
            try {
                postgres.close();
            } catch (IOException e) {
                // best effort
            }
        }
    }
}
