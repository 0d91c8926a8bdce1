package io.ampora.dbguard.check;

/**
 * The sections of Ampora's database troubleshooting runbook that checks automate.
 *
 * <p>Every check names the section it automates, so that a report can be read side by side with the
 * runbook and grouped the same way. {@link #BEYOND_RUNBOOK} holds the checks that mature monitoring
 * tools never skip although the runbook does not mention them (transaction ID wraparound, ...).
 */
public enum RunbookSection {
    CANNOT_CONNECT(1, "Cannot connect"),
    CANNOT_MIGRATE(2, "Cannot migrate"),
    SLOW_QUERIES(3, "Slow queries"),
    POOL_EXHAUSTED(4, "Connection pool exhausted"),
    REPLICA_LAG(5, "Replica lag"),
    DISK_FULL(6, "Disk full"),
    LOCKED_WEDGED(7, "Locked / wedged"),
    VERSION_MISMATCH(8, "Restoring a backup that does not match the running version"),
    RLS_LOCKOUT(9, "RLS lock-out"),
    BEYOND_RUNBOOK(10, "Beyond the runbook");

    private final int number;
    private final String title;

    RunbookSection(int number, String title) {
        this.number = number;
        this.title = title;
    }

    /** @return the section's number in the runbook (10 for checks beyond it) */
    public int number() {
        return number;
    }

    /** @return the section's title as the runbook writes it */
    public String title() {
        return title;
    }

    /** @return {@code "7. Locked / wedged"}: number and title, as reports show it */
    public String label() {
        return number + ". " + title;
    }
}
