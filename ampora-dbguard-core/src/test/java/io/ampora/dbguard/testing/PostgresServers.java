package io.ampora.dbguard.testing;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Assumptions;

/**
 * One server per spec per JVM, chosen by the environment:
 * <ul>
 *   <li>{@code AMPORA_TEST_JDBC_URL} (with {@code AMPORA_TEST_USER}, {@code AMPORA_TEST_PASSWORD}) set: that
 *       server, for every test that needs no special settings; the others are skipped with the reason;</li>
 *   <li>{@code -Dampora.test.pg=docker:17}: Testcontainers, failing at once without Docker;</li>
 *   <li>otherwise the embedded PostgreSQL of {@code -Dampora.test.pg=13|14|15|16|17|18} (default 17).</li>
 * </ul>
 */
public final class PostgresServers {

    private static final Map<ServerSpec, PostgresServer> SERVERS = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> SERVERS.values().forEach(PostgresServer::stop),
                "ampora-test-postgres-stop"));
    }

    private PostgresServers() {
    }

    /** @return the major version the build asked for, e.g. "17" */
    public static String defaultMajor() {
        String asked = System.getProperty("ampora.test.pg", "");
        if (asked.isBlank() || asked.startsWith("$")) {
            return PgBinaries.DEFAULT_MAJOR;
        }
        return asked.startsWith("docker:") ? asked.substring("docker:".length()) : asked;
    }

    /** @return whether tests run against a server given in the environment */
    public static boolean external() {
        String url = System.getenv("AMPORA_TEST_JDBC_URL");
        return url != null && !url.isBlank();
    }

    /** @return whether the embedded server serves the tests (so settings, versions and restarts are possible) */
    public static boolean embedded() {
        return !external() && !System.getProperty("ampora.test.pg", "").startsWith("docker:");
    }

    /**
     * The shared server for a spec, started on first use.
     *
     * @param spec what the test needs
     * @return the server
     */
    public static PostgresServer get(ServerSpec spec) {
        if (external()) {
            Assumptions.assumeFalse(spec.isCustom(), () -> "needs a server with " + spec
                    + ", which the external AMPORA_TEST_JDBC_URL server cannot promise");
            return SERVERS.computeIfAbsent(ServerSpec.defaults(), s -> new ExternalServer(
                    System.getenv("AMPORA_TEST_JDBC_URL"), System.getenv("AMPORA_TEST_USER"),
                    System.getenv("AMPORA_TEST_PASSWORD")));
        }
        String asked = System.getProperty("ampora.test.pg", "");
        String major = spec.version().isEmpty() ? defaultMajor() : spec.version();
        if (asked.startsWith("docker:")) {
            Assumptions.assumeFalse(spec.passwordAuth(), "password authentication needs the embedded server");
            return SERVERS.computeIfAbsent(spec.onVersion(major), s -> new DockerServer(major, s.settings()));
        }
        return SERVERS.computeIfAbsent(spec.onVersion(major), s -> new EmbeddedServer(s, major));
    }
}
