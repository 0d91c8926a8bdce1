package io.ampora.dbguard.flyway.internal;

import java.util.List;

/** PostgreSQL's table lock modes as pg_locks names them, and how they read in messages. */
final class LockModes {

    /** Modes that block INSERT/UPDATE/DELETE (ROW EXCLUSIVE), strongest last. */
    static final List<String> WRITE_BLOCKING = List.of("ShareLock", "ShareRowExclusiveLock", "ExclusiveLock",
            "AccessExclusiveLock");

    /** Every mode, weakest first. */
    static final List<String> ALL = List.of("AccessShareLock", "RowShareLock", "RowExclusiveLock",
            "ShareUpdateExclusiveLock", "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock");

    private LockModes() {
    }

    /**
     * The mode as the documentation writes it: {@code AccessExclusiveLock} -> {@code ACCESS EXCLUSIVE}.
     *
     * @param mode pg_locks.mode
     * @return the readable name
     */
    static String readable(String mode) {
        return mode.replace("Lock", "").replaceAll("([a-z])([A-Z])", "$1 $2").toUpperCase(java.util.Locale.ROOT);
    }

    /**
     * The readable mode with its article: "a SHARE", "an ACCESS EXCLUSIVE".
     *
     * @param mode pg_locks.mode
     * @return the text
     */
    static String withArticle(String mode) {
        String readable = readable(mode);
        return (readable.startsWith("A") || readable.startsWith("E") ? "an " : "a ") + readable;
    }

    /**
     * What a mode blocks, for messages.
     *
     * @param mode pg_locks.mode
     * @return "reads and writes", "writes" or "other schema changes"
     */
    static String blocks(String mode) {
        if (mode.equals("AccessExclusiveLock")) {
            return "every read and write";
        }
        return WRITE_BLOCKING.contains(mode) ? "every write" : "other schema changes";
    }
}
