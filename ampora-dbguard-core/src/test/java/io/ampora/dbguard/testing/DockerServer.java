package io.ampora.dbguard.testing;

import java.util.Map;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/** A PostgreSQL in Docker through Testcontainers, for {@code -Dampora.test.pg=docker:17}. */
final class DockerServer implements PostgresServer {

    private final PostgreSQLContainer container;
    private final int major;

    DockerServer(String major, Map<String, String> settings) {
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            throw new IllegalStateException("-Dampora.test.pg=docker:" + major + " asks for Testcontainers, but no Docker"
                    + " engine is reachable here. Use -Dampora.test.pg=" + major + " for the embedded server, or set"
                    + " AMPORA_TEST_JDBC_URL to use a server you run.");
        }
        this.major = Integer.parseInt(major);
        PostgreSQLContainer c = new PostgreSQLContainer("postgres:" + major);
        if (!settings.isEmpty()) {
            String[] command = settings.entrySet().stream()
                    .flatMap(e -> java.util.stream.Stream.of("-c", e.getKey() + "=" + e.getValue()))
                    .toArray(String[]::new);
            String[] full = new String[command.length + 1];
            full[0] = "postgres";
            System.arraycopy(command, 0, full, 1, command.length);
            c.withCommand(full);
        }
        c.start();
        this.container = c;
    }

    @Override
    public String host() {
        return container.getHost();
    }

    @Override
    public int port() {
        return container.getMappedPort(5432);
    }

    @Override
    public String adminUser() {
        return container.getUsername();
    }

    @Override
    public String adminPassword() {
        return container.getPassword();
    }

    @Override
    public int majorVersion() {
        return major;
    }

    @Override
    public String describe() {
        return "Docker postgres:" + major;
    }

    @Override
    public void stop() {
        container.stop();
    }
}
