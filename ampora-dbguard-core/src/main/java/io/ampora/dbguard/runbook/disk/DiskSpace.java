package io.ampora.dbguard.runbook.disk;

/**
 * Free and total bytes of the volume holding the database, as a {@link DiskSpaceProvider} measured it.
 *
 * @param freeBytes  bytes still available to PostgreSQL
 * @param totalBytes the volume's size
 */
public record DiskSpace(long freeBytes, long totalBytes) {

    /** Validates the figures. */
    public DiskSpace {
        if (totalBytes <= 0 || freeBytes < 0 || freeBytes > totalBytes) {
            throw new IllegalArgumentException("disk space must have 0 <= free <= total and total > 0, got free "
                    + freeBytes + " of " + totalBytes + " bytes");
        }
    }

    /** @return the free share of the volume, 0 to 100 */
    public double freePercent() {
        return 100.0 * freeBytes / totalBytes;
    }
}
