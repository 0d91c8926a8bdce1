package io.ampora.dbguard.runbook.locks;

import java.util.Locale;
import java.util.Optional;

/**
 * An autovacuum worker in the way of other sessions, and what to do about it. The runbook's rule for a session that
 * is not the application's, "terminate it", is wrong here: a routine autovacuum gives way by itself (a session that
 * waits {@code deadlock_timeout} for one of its locks cancels it), and one that freezes a table to prevent transaction
 * ID wraparound does not give way and comes back within {@code autovacuum_naptime} when terminated, while the table's
 * transaction IDs keep aging. That second one is how a schema change "hangs for an hour" on a table nobody touched.
 *
 * @param wraparound whether it is an anti-wraparound (aggressive) autovacuum
 * @param table      the table it works on, schema-qualified and quoted, or null when unknown
 * @param progress   how far it got ("scanning heap: 27 of 589 heap blocks scanned, 5%"), or null when hidden
 */
record Autovacuum(boolean wraparound, String table, String progress) {

    private static final String PREFIX = "autovacuum: ";
    private static final String WRAPAROUND = " (to prevent wraparound)";

    /**
     * @param backendType  {@code pg_stat_activity.backend_type}, null when hidden
     * @param query        the worker's query, "autovacuum: VACUUM ANALYZE public.orders (to prevent wraparound)"
     * @param vacuumed     the table from {@code pg_stat_progress_vacuum}, quoted, or null
     * @param phase        its phase, or null
     * @param blocks       the heap's blocks, or null
     * @param scanned      the blocks scanned so far, or null
     * @return the autovacuum, or empty when the session is something else (or hidden)
     */
    static Optional<Autovacuum> of(String backendType, String query, String vacuumed, String phase, Long blocks,
                                   Long scanned) {
        if (!"autovacuum worker".equals(backendType)) {
            return Optional.empty();
        }
        String q = query == null ? "" : query;
        boolean wraparound = q.endsWith(WRAPAROUND);
        String table = vacuumed != null ? vacuumed : tableOf(q);
        return Optional.of(new Autovacuum(wraparound, table, progress(phase, blocks, scanned)));
    }

    /** The table named in the worker's query, as PostgreSQL printed it, or null. */
    private static String tableOf(String query) {
        if (!query.startsWith(PREFIX)) {
            return null;
        }
        String rest = query.substring(PREFIX.length());
        if (rest.endsWith(WRAPAROUND)) {
            rest = rest.substring(0, rest.length() - WRAPAROUND.length());
        }
        for (String verb : new String[] {"VACUUM ANALYZE ", "VACUUM ", "ANALYZE "}) {
            if (rest.startsWith(verb)) {
                return rest.substring(verb.length());
            }
        }
        return null;
    }

    private static String progress(String phase, Long blocks, Long scanned) {
        if (phase == null) {
            return null;
        }
        if (blocks == null || scanned == null || blocks <= 0) {
            return phase;
        }
        return phase + ": " + scanned + " of " + blocks + " heap blocks scanned, "
                + String.format(Locale.ROOT, "%.0f%%", 100.0 * scanned / blocks);
    }

    /** @return "anti-wraparound" or "routine", the value of the finding's {@code autovacuum} detail */
    String kind() {
        return wraparound ? "anti-wraparound" : "routine";
    }

    private String on() {
        return table == null ? "a table" : table;
    }

    /** @return the statement that freezes the table unthrottled, or null when the table is unknown */
    String vacuumFreeze() {
        return table == null ? null : "VACUUM (FREEZE, VERBOSE) " + table;
    }

    /**
     * @param pid the worker's pid
     * @return what it is and what to do, for the finding and the remediation
     */
    String action(int pid) {
        String progressNote = progress == null ? "" : " (" + progress + ")";
        if (!wraparound) {
            return "It is a routine autovacuum of " + on() + progressNote + ": PostgreSQL cancels it by itself once a"
                    + " session has waited deadlock_timeout for one of its locks, so there is nothing to terminate;"
                    + " terminating it only postpones the vacuum.";
        }
        return "It is autovacuum freezing " + on() + " to prevent transaction ID wraparound" + progressNote
                + ". Unlike a routine autovacuum it does not give way to waiting sessions, and terminating it does not"
                + " help: autovacuum starts it again within autovacuum_naptime and the table's transaction IDs keep"
                + " aging (see txid-wraparound). Let it finish and run the waiting statement again after it, with a"
                + " lock_timeout; or freeze the table yourself, unthrottled: SELECT pg_cancel_backend(" + pid + "), then"
                + " at once " + (vacuumFreeze() == null ? "VACUUM (FREEZE, VERBOSE) on the table" : vacuumFreeze())
                + " (a manual VACUUM does not sleep on autovacuum_vacuum_cost_delay, so it finishes sooner).";
    }

    /**
     * What to say of a hidden session with no role that holds a lock: a background process, most likely autovacuum
     * when its lock is SHARE UPDATE EXCLUSIVE.
     *
     * @param heldMode the lock mode it holds, or null
     * @return the sentence, or empty when nothing can be inferred
     */
    static Optional<String> hiddenBackgroundHint(String heldMode) {
        if (!"ShareUpdateExclusiveLock".equals(heldMode)) {
            return Optional.empty();
        }
        return Optional.of("No role owns it, so it is a background process, and one holding a SHARE UPDATE EXCLUSIVE"
                + " lock is most likely autovacuum: an anti-wraparound autovacuum does not give way and comes back when"
                + " terminated, so do not terminate it before you can see what it is.");
    }
}
