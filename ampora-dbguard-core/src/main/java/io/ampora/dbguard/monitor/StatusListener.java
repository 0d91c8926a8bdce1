package io.ampora.dbguard.monitor;

/**
 * Told each time a monitored check changes status; use it to page, count or log elsewhere. Called on the
 * monitor's thread: return quickly, and do not throw (an exception is logged and ignored).
 */
@FunctionalInterface
public interface StatusListener {

    /**
     * A check changed status.
     *
     * @param change what changed and why
     */
    void onChange(StatusChange change);
}
