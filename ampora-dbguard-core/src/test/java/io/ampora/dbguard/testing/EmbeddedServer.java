package io.ampora.dbguard.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * zonky's embedded PostgreSQL: started from the binaries jar of the requested version, with the spec's
 * settings, in about two seconds. It can be stopped and started again on the same port and data
 * directory, which is how tests take the database away from a running application and give it back.
 */
public final class EmbeddedServer implements PostgresServer {

    private final ServerSpec spec;
    private final String major;
    private final Path dataDirectory;
    private volatile EmbeddedPostgres postgres;
    private volatile int port;

    EmbeddedServer(ServerSpec spec, String major) {
        this.spec = spec;
        this.major = major;
        try {
            this.dataDirectory = Files.createTempDirectory("ampora-pg" + major + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.postgres = start(0);
        this.port = postgres.getPort();
    }

    /**
     * zonky deletes a data directory it initialised itself when it stops (cleanDataDirectory true), which
     * would make {@link #pause()} lose every database; so the directory is ours: created empty (zonky runs
     * initdb on it), never cleaned by zonky, deleted in {@link #stop()}.
     */
    private EmbeddedPostgres start(int fixedPort) {
        try {
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setPgBinaryResolver((system, machine) -> PgBinaries.open(major))
                    .setDataDirectory(dataDirectory)
                    .setCleanDataDirectory(false)
                    .setPGStartupWait(Duration.ofSeconds(30))
                    .setServerConfig("max_connections", "100")
                    .setServerConfig("fsync", "off")
                    .setServerConfig("full_page_writes", "off");
            if (fixedPort > 0) {
                builder.setPort(fixedPort);
            }
            for (Map.Entry<String, String> e : spec.settings().entrySet()) {
                builder.setServerConfig(e.getKey(), e.getValue());
            }
            if (spec.passwordAuth()) {
                builder.setDataDirectoryCustomizer(EmbeddedServer::requirePasswords);
            }
            return builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start embedded PostgreSQL " + major + ": " + e.getMessage(), e);
        }
    }

    /** Superuser postgres stays trusted (zonky connects as it); every other role needs a password. */
    private static void requirePasswords(File dataDir) {
        String hba = String.join("\n",
                "local all all trust",
                "host all postgres 127.0.0.1/32 trust",
                "host all postgres ::1/128 trust",
                "host all all 127.0.0.1/32 md5",
                "host all all ::1/128 md5",
                "");
        try {
            Files.writeString(dataDir.toPath().resolve("pg_hba.conf"), hba, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
        return "embedded PostgreSQL " + PgBinaries.VERSIONS.get(major) + spec.settings();
    }

    /** @return the data directory, e.g. to copy it for a standby */
    public Path dataDirectory() {
        return dataDirectory;
    }

    /** @return the running zonky instance */
    public EmbeddedPostgres embedded() {
        return postgres;
    }

    /** @return the spec it was started with */
    public ServerSpec spec() {
        return spec;
    }

    /** Stops the server, keeping its data directory, so {@link #restart()} brings it back on the same port. */
    public synchronized void pause() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the server again on the same port and data directory after {@link #pause()}. */
    public synchronized void restart() {
        this.postgres = start(port);
    }

    @Override
    public synchronized void stop() {
        try {
            postgres.close();
        } catch (IOException e) {
            // best effort at JVM exit
        }
        // the postmaster may still remove its own files (postmaster.pid) while the walk lists them: the walk then
        // throws UncheckedIOException for a file that is gone; list again, a few times
        for (int attempt = 0; attempt < 3 && Files.exists(dataDirectory); attempt++) {
            try (var paths = Files.walk(dataDirectory)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException | UncheckedIOException e) {
                // best effort at JVM exit
            }
        }
    }
}
