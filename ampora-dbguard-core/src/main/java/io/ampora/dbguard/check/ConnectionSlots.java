package io.ampora.dbguard.check;

/**
 * The client connection slots of a server: what {@code max_connections} leaves to roles that are not
 * superusers. Connection headroom, fleet budgets and pool-exhaustion diagnoses all reason about the same
 * number, so it is computed once, here.
 *
 * @param maxConnections    {@code max_connections}
 * @param superuserReserved {@code superuser_reserved_connections}
 * @param reserved          {@code reserved_connections} (PostgreSQL 16+; 0 before)
 */
public record ConnectionSlots(long maxConnections, long superuserReserved, long reserved) {

    /** @return the slots a client that is not a superuser can use: max minus both reservations */
    public long usable() {
        return Math.max(0, maxConnections - superuserReserved - reserved);
    }

    /** @return how the usable slots come about, e.g. "max_connections 100 - 3 superuser_reserved_connections" */
    public String breakdown() {
        return "max_connections " + maxConnections + " - " + superuserReserved + " superuser_reserved_connections"
                + (reserved > 0 ? " - " + reserved + " reserved_connections" : "");
    }

    /** @return the whole arithmetic, e.g. "max_connections 100 - 3 superuser_reserved_connections = 97 usable" */
    public String arithmetic() {
        return breakdown() + " = " + usable() + " usable";
    }
}
