package io.ampora.dbguard.hikari.internal;

/**
 * The server's connection limits as last read.
 *
 * @param maxConnections    {@code max_connections}
 * @param superuserReserved {@code superuser_reserved_connections}
 * @param reserved          {@code reserved_connections} (0 before PostgreSQL 16)
 * @param clientSessions    client sessions open when read
 */
public record ServerLimits(int maxConnections, int superuserReserved, int reserved, long clientSessions) {

    /** @return the slots a non-superuser client can use */
    public int usable() {
        return Math.max(0, maxConnections - superuserReserved - reserved);
    }

    /** @return the arithmetic of usable slots, e.g. "max_connections 100 - 3 superuser_reserved_connections = 97" */
    public String arithmetic() {
        return "max_connections " + maxConnections + " - " + superuserReserved + " superuser_reserved_connections"
                + (reserved > 0 ? " - " + reserved + " reserved_connections" : "") + " = " + usable() + " usable";
    }
}
