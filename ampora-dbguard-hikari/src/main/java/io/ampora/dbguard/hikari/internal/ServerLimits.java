package io.ampora.dbguard.hikari.internal;

import io.ampora.dbguard.check.ConnectionSlots;

/**
 * The server's connection limits as last read on the diagnosis connection (outside any report, so not
 * from {@code ServerFacts}).
 *
 * @param slots          the client connection slots
 * @param clientSessions client sessions open when read
 */
public record ServerLimits(ConnectionSlots slots, long clientSessions) {

    /** @return the slots a non-superuser client can use */
    public int usable() {
        return (int) slots.usable();
    }

    /** @return the arithmetic of usable slots, e.g. "max_connections 100 - 3 superuser_reserved_connections = 97 usable" */
    public String arithmetic() {
        return slots.arithmetic();
    }
}
