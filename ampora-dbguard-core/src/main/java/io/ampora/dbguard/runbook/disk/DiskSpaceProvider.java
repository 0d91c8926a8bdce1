package io.ampora.dbguard.runbook.disk;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Tells how much space is left on the database's volume. PostgreSQL cannot report free disk space
 * through SQL, so the {@code disk-usage} check needs this from outside: a path on the database host (when
 * the application runs there), a cloud provider's API, a metrics endpoint.
 *
 * <pre>{@code
 * // replaces the discovered disk-usage check, which has no provider
 * DbGuard.builder().dataSource(ds)
 *         .addCheck(new DiskUsageCheck(DiskSpaceProvider.forPath(Path.of("/var/lib/postgresql"))))
 *         .build();
 * }</pre>
 */
@FunctionalInterface
public interface DiskSpaceProvider {

    /**
     * Measures the volume now.
     *
     * @return free and total bytes
     * @throws IOException when it cannot be measured; the check then says free space is unknown
     */
    DiskSpace diskSpace() throws IOException;

    /**
     * A provider reading the file system holding a path, for a database on the same host.
     *
     * @param dataDirectory a path on the database's volume, e.g. its data directory
     * @return the provider
     */
    static DiskSpaceProvider forPath(Path dataDirectory) {
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        return () -> {
            FileStore store = Files.getFileStore(dataDirectory);
            return new DiskSpace(store.getUsableSpace(), store.getTotalSpace());
        };
    }
}
