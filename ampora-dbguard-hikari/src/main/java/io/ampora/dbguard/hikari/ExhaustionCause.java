package io.ampora.dbguard.hikari;

/**
 * Why a pool ran out of connections, in the runbook's terms (section 4), each with its usual fix.
 */
public enum ExhaustionCause {
    /** The pool cannot create connections: the database is unreachable or refuses this client. */
    DATABASE_UNREACHABLE("the pool cannot create connections to the database",
            "Fix the connection failure named in the evidence (runbook 1)."),
    /** The server refuses new connections (53300): all instances' pools together exceed max_connections. */
    FLEET_BUDGET_EXCEEDED("the server has no free connection slots: all instances' pools together exceed max_connections",
            "Reduce maximumPoolSize per instance so that instances x maximumPoolSize fits the usable slots,"
                    + " put PgBouncer in front, or raise max_connections."),
    /** Connections are held by code that is not using them. */
    LEAK("connections are held by code that is not using them (leaked, or held across non-database work)",
            "Close connections in try-with-resources at the borrow sites shown; do not hold a connection or a"
                    + " transaction across HTTP calls, sleeps or user input."),
    /** The holders are busy in the database. */
    LONG_RUNNING_QUERIES("the connections are busy running long queries or waiting for locks",
            "Find why the queries shown are slow (runbook 3: EXPLAIN ANALYZE, missing indexes, lock waits) and"
                    + " set a statement_timeout."),
    /** Every lease is young: demand simply exceeds the pool. */
    POOL_UNDERSIZED("every connection is in short, normal use: demand exceeds the pool size",
            "Raise maximumPoolSize if the database has headroom (pool-budget check), or reduce concurrent demand."),
    /** A thread holding a connection waits for a second one. */
    NESTED_ACQUISITION("a thread that already holds a connection waits for a second one; with enough such threads the"
            + " pool deadlocks",
            "Pass the connection you hold down the call chain (or join the existing transaction) instead of"
                    + " borrowing a second one; or size the pool for threads x connections per thread.");

    private final String meaning;
    private final String remediation;

    ExhaustionCause(String meaning, String remediation) {
        this.meaning = meaning;
        this.remediation = remediation;
    }

    /** @return what the cause means, as a clause */
    public String meaning() {
        return meaning;
    }

    /** @return the usual fix */
    public String remediation() {
        return remediation;
    }
}
