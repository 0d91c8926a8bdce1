package io.ampora.dbguard.check;

/**
 * How expensive one run of a check is for the database, declared by {@link DatabaseCheck#cost()}: the
 * monitor derives a database-wide check's default interval from it, so that catalog scans do not run as
 * often as a look at {@code pg_stat_activity}.
 *
 * <p>The factor multiplies the monitor's default interval (10 seconds unless configured): {@link #CHEAP}
 * 10 s, {@link #NORMAL} 30 s, {@link #EXPENSIVE} 15 min. Per-instance checks always run at the default
 * interval (they decide whether this instance can serve). A per-check interval in {@code MonitorConfig}
 * wins over both.
 */
public enum CheckCost {
    /** A few rows from a statistics view or a setting (pg_stat_activity, pg_database): milliseconds. */
    CHEAP(1),
    /** One scan of a bounded view or of one catalog (pg_stat_statements, pg_index): tens of milliseconds. */
    NORMAL(3),
    /**
     * A scan that grows with the schema (every table, index or constraint; relation sizes): hundreds of
     * milliseconds on a 10,000-table schema.
     */
    EXPENSIVE(90);

    private final int factor;

    CheckCost(int factor) {
        this.factor = factor;
    }

    /** @return how many default intervals a database-wide check of this cost waits between runs */
    public int intervalFactor() {
        return factor;
    }
}
