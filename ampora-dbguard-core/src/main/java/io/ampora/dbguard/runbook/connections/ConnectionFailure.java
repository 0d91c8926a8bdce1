package io.ampora.dbguard.runbook.connections;

/**
 * Why a connection to PostgreSQL failed, in the runbook's terms, each cause with its one obvious fix.
 *
 * <p>Read the driver's message literally, says the runbook: "password authentication failed", "no
 * pg_hba.conf entry", "could not connect to server" each have one obvious cause. This enum is that
 * reading, done by code.
 */
public enum ConnectionFailure {
    HOST_UNRESOLVABLE("the database host name does not resolve",
            "Check the host in the connection string and that DNS resolves it from this pod or VM (nslookup <host>)."),
    CONNECTION_REFUSED("nothing is listening at the database's host and port",
            "Check the port in the connection string, that PostgreSQL is running, and that listen_addresses includes"
                    + " this interface (nc -z -v <host> <port>)."),
    TIMEOUT("the connection attempt timed out: packets are dropped on the way, or the server does not answer",
            "Check firewalls and security groups between the application and the database, and that the server is"
                    + " not overloaded (nc -z -v <host> <port>)."),
    NETWORK_UNREACHABLE("there is no route to the database host",
            "Check the network path: the host's address, routes, VPN or peering between application and database."),
    PASSWORD_AUTHENTICATION_FAILED("the server rejected the password (SQLState 28P01)",
            "Check the user and password in the connection string or secret; rotate and redeploy if the password"
                    + " changed on the server. If the password is right and worked until now, the role's password may"
                    + " have expired (VALID UNTIL; the same message): SELECT rolvaliduntil FROM pg_roles WHERE rolname"
                    + " = '<role>' as another role, then ALTER ROLE <role> VALID UNTIL 'infinity' (the password-expiry"
                    + " check warns 14 days ahead)."),
    NO_PG_HBA_ENTRY("the server's pg_hba.conf has no entry for this host, user, database and SSL setting (SQLState 28000)",
            "Add a pg_hba.conf line for this client address, user and database (hostssl if TLS is required) and"
                    + " reload PostgreSQL, or connect with the SSL setting an existing line expects."),
    INVALID_AUTHORIZATION("the server refused this role (SQLState 28000)",
            "Check that the role exists and has LOGIN, and that the user name in the connection string is right."),
    DATABASE_DOES_NOT_EXIST("the database named in the connection string does not exist (SQLState 3D000)",
            "Check the database name in the connection string, or create the database (CREATE DATABASE ...)."),
    TOO_MANY_CLIENTS("the server has no free connection slots: max_connections is reached (SQLState 53300)",
            "Find who holds the connections (SELECT * FROM pg_stat_activity WHERE state != 'idle'), reduce the pool"
                    + " sizes of all instances together below max_connections, or raise max_connections."),
    ROLE_CONNECTION_LIMIT("the role's own CONNECTION LIMIT is reached (SQLState 53300, \"too many connections for"
            + " role\"): the server has free slots, this role may not use more",
            "Raising max_connections does not help. See the limit and who holds the role's sessions (SELECT rolconnlimit"
                    + " FROM pg_roles WHERE rolname = '<role>'; SELECT application_name, count(*) FROM pg_stat_activity"
                    + " WHERE usename = '<role>' GROUP BY 1), then keep the pools of all instances using this role"
                    + " below it (the pool-budget check does the arithmetic) or raise it: ALTER ROLE <role> CONNECTION"
                    + " LIMIT <n> (-1: none)."),
    DATABASE_CONNECTION_LIMIT("the database's own CONNECTION LIMIT is reached (SQLState 53300, \"too many connections"
            + " for database\"): the server has free slots, this database may not use more",
            "Raising max_connections does not help. See the limit and who holds the database's sessions (SELECT"
                    + " datconnlimit FROM pg_database WHERE datname = '<database>'; SELECT usename, application_name,"
                    + " count(*) FROM pg_stat_activity WHERE datname = '<database>' GROUP BY 1, 2), then keep the pools"
                    + " below it (pool-budget) or raise it: ALTER DATABASE <database> CONNECTION LIMIT <n> (-1: none)."),
    SERVER_STARTING_OR_RECOVERING("the server is starting up, shutting down or in crash recovery (SQLState 57P03; 57P01/57P02 while it shuts down)",
            "Wait for recovery to finish and retry; if it lasts, read the PostgreSQL server log."),
    CONNECTION_LOST("the connection was dropped while connecting: reset by the server, a proxy or a network device"
            + " (SQLState 08006)",
            "Check what sits between the application and the database (load balancer, PgBouncer, firewall idle"
                    + " timeouts) and the PostgreSQL server log for a crash or restart at that time."),
    TLS_FAILURE("TLS negotiation failed",
            "Match the client's sslmode with the server: the server may not support SSL, or its certificate does not"
                    + " validate against the client's root certificate (sslrootcert) or host name (verify-full)."),
    DISK_FULL("the server's disk is full (SQLState 53100)",
            "Free space on the database volume: find the largest tables (the disk-usage check), prune or archive"
                    + " them, or grow the volume; if WAL is the largest, grow the WAL volume."),
    DATASOURCE_ERROR("the DataSource, or a wrapper around it, threw an exception of its own: not a network or server"
            + " error",
            "Read the exception named above: it comes from the DataSource given to the guard or a wrapper around it,"
                    + " not from PostgreSQL. A wrapper that needs context for every statement (a tenant, a request)"
                    + " refuses the guard's sessions: give the guard the DataSource underneath it."),
    POOL_EXHAUSTED("the application's connection pool has no free connection: every one is borrowed, so the guard"
            + " got none either (the database itself may be fine)",
            "Runbook 4, not a network problem: find who holds the connections (GuardedPool's leak reports and"
                    + " PoolExhaustedException name each holder's thread and borrow site; pg_stat_activity shows what"
                    + " their sessions do: idle in transaction, waiting for a lock, a slow query), fix the leak or the"
                    + " long transaction, and check the pool's size against max_connections (pool-budget)."),
    UNKNOWN("the connection failed for a reason not in the runbook",
            "Read the driver's message below literally; it names the cause.");

    private final String meaning;
    private final String remediation;

    ConnectionFailure(String meaning, String remediation) {
        this.meaning = meaning;
        this.remediation = remediation;
    }

    /** @return what the failure means, as a clause */
    public String meaning() {
        return meaning;
    }

    /** @return what to do about it */
    public String remediation() {
        return remediation;
    }
}
