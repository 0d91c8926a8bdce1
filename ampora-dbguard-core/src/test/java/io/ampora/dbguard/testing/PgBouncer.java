package io.ampora.dbguard.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A PgBouncer process for tests, in transaction pool mode in front of one database of the embedded
 * server. Debian's pgbouncer refuses to run as root, so as root it runs with {@code -u postgres}; its
 * configuration directory is made readable for that user.
 */
public final class PgBouncer implements AutoCloseable {

    private static final List<String> SEARCH = List.of("/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin");

    private final Process process;
    private final Path directory;
    private final int port;

    private PgBouncer(Process process, Path directory, int port) {
        this.process = process;
        this.directory = directory;
        this.port = port;
    }

    /** @return the pgbouncer executable, from PATH or the usual system directories */
    public static Optional<Path> binary() {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(SEARCH);
        return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, "pgbouncer"))
                .filter(Files::isExecutable).findFirst();
    }

    /**
     * Skips the calling test when pgbouncer is not installed, or fails it when the build requires pgbouncer
     * ({@code AMPORA_REQUIRE_PGBOUNCER=true}, set by {@code .ci/run}): on CI a skipped PgBouncer test would
     * hide that the transaction-pooling guarantee was never exercised.
     */
    public static void assumeInstalled() {
        String hint = "pgbouncer is not installed: apt-get update && apt-get install -y pgbouncer";
        if (binary().isEmpty() && "true".equalsIgnoreCase(System.getenv("AMPORA_REQUIRE_PGBOUNCER"))) {
            throw new AssertionError(hint + " (AMPORA_REQUIRE_PGBOUNCER=true: this build must run the PgBouncer tests)");
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(binary().isPresent(), hint);
    }

    /**
     * Starts pgbouncer and waits until it accepts connections.
     *
     * @param serverPort the PostgreSQL port on 127.0.0.1
     * @param database   the database to expose under the same name
     * @param user       the role clients log in as (trusted by pgbouncer; the embedded server trusts it too)
     * @param poolSize   server connections per user and database
     * @return the running process
     */
    public static PgBouncer start(int serverPort, String database, String user, int poolSize) throws IOException,
            InterruptedException {
        Path pgbouncer = binary().orElseThrow(() -> new IllegalStateException("pgbouncer is not installed"));
        Path dir = Files.createTempDirectory("ampora-pgbouncer-");
        int port = freePort();
        Files.writeString(dir.resolve("userlist.txt"), "\"" + user + "\" \"\"\n", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("pgbouncer.ini"), String.join("\n",
                "[databases]",
                database + " = host=127.0.0.1 port=" + serverPort + " dbname=" + database,
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                "listen_port = " + port,
                "unix_socket_dir =",
                "auth_type = trust",
                "auth_file = " + dir.resolve("userlist.txt"),
                "pool_mode = transaction",
                "default_pool_size = " + poolSize,
                "max_client_conn = 200",
                "ignore_startup_parameters = extra_float_digits,options",
                "server_reset_query =",
                ""), StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dir.resolve("pgbouncer.ini"), PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(dir.resolve("userlist.txt"), PosixFilePermissions.fromString("rw-r--r--"));

        List<String> command = new ArrayList<>(List.of(pgbouncer.toString()));
        if ("root".equals(System.getProperty("user.name"))) {
            command.addAll(List.of("-u", "postgres"));
        }
        command.add(dir.resolve("pgbouncer.ini").toString());
        Path log = dir.resolve("pgbouncer.log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        PgBouncer bouncer = new PgBouncer(process, dir, port);
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("pgbouncer exited with " + process.exitValue() + ": "
                        + Files.readString(log));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return bouncer;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        bouncer.close();
        throw new IllegalStateException("pgbouncer did not listen on " + port + " within 15s: " + Files.readString(log));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** @return the port pgbouncer listens on, on 127.0.0.1 */
    public int port() {
        return port;
    }

    /**
     * @param database a database this pgbouncer exposes
     * @return the pgjdbc URL of that database through this pgbouncer, with pgjdbc's defaults
     */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** @return what pgbouncer logged so far */
    public String log() throws IOException {
        return Files.readString(directory.resolve("pgbouncer.log"));
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
