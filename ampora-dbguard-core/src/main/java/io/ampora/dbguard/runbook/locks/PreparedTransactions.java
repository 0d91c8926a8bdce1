package io.ampora.dbguard.runbook.locks;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.Sql;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Reads the server's prepared transactions (two-phase commit) for the prepared-transactions,
 * blocking-locks and long-transactions checks, and says how to end one. A prepared transaction has no
 * session to terminate: only {@code ROLLBACK PREPARED 'gid'} or {@code COMMIT PREPARED 'gid'}, run in its
 * database, ends it.
 */
final class PreparedTransactions {

    private PreparedTransactions() {
    }

    /**
     * One prepared transaction.
     *
     * @param gid                the global transaction identifier
     * @param gidLiteral         the gid quoted as an SQL literal
     * @param owner              the role that prepared it
     * @param database           its database
     * @param databaseIdent      its database quoted as an identifier
     * @param xid                its transaction ID
     * @param preparedSeconds    how long ago it was prepared
     * @param xidAge             {@code age(transaction)}: how far it holds back vacuum's horizon
     * @param lockCount          how many locks it holds
     * @param lockedObjects      the relations and other objects it holds locks on (its own IDs left out), or null
     * @param waitingPids        sessions waiting directly on one of its locks
     * @param longestWaitSeconds the longest of their waits, null when none waits or unknown
     */
    record Prepared(String gid, String gidLiteral, String owner, String database, String databaseIdent, String xid,
                    double preparedSeconds, long xidAge, long lockCount, String lockedObjects, List<Integer> waitingPids,
                    Double longestWaitSeconds) {

        /** @return {@code ROLLBACK PREPARED 'gid'} */
        String rollback() {
            return "ROLLBACK PREPARED " + gidLiteral;
        }

        /** @return {@code COMMIT PREPARED 'gid'} */
        String commit() {
            return "COMMIT PREPARED " + gidLiteral;
        }

        /** "prepared transaction 'gid' (owner alice, database app, prepared 3m12s ago)". */
        String describe() {
            return "prepared transaction " + gidLiteral + " (owner " + owner + ", database " + database + ", prepared "
                    + Sessions.age(preparedSeconds) + " ago)";
        }

        /** The sentence saying how to end it. */
        String action() {
            return "No session owns it, so there is nothing to terminate: connect to database " + databaseIdent
                    + " and run " + rollback() + "; (or " + commit() + "; if its transaction manager decided to commit).";
        }

        /** The details every finding about it carries. */
        Finding.Builder details(Finding.Builder f) {
            return f.detail("gid", gid)
                    .detail("owner", owner)
                    .detail("database", database)
                    .detail("transaction", xid)
                    .detail("preparedAge", Sessions.age(preparedSeconds))
                    .detail("xminAge", xidAge)
                    .detail("locks", lockCount)
                    .detail("lockedObjects", lockedObjects)
                    .detail("waitingPids", waitingPids.stream().map(String::valueOf).collect(Collectors.joining(", ")))
                    .detail("rollback", rollback())
                    .detail("commit", commit());
        }
    }

    /**
     * Reads every prepared transaction of the server, oldest first.
     *
     * @param context the check's context
     * @return the prepared transactions; empty when there are none
     * @throws SQLException when the query fails
     */
    static List<Prepared> read(CheckContext context) throws SQLException {
        List<Prepared> out = new ArrayList<>();
        try (Statement st = context.connection().createStatement();
             ResultSet rs = st.executeQuery(Sql.load(PreparedTransactions.class, "prepared-transactions"))) {
            while (rs.next()) {
                double wait = rs.getDouble("longest_wait_seconds");
                Double longest = rs.wasNull() ? null : wait;
                out.add(new Prepared(rs.getString("gid"), rs.getString("gid_literal"), rs.getString("owner"),
                        rs.getString("database"), rs.getString("database_ident"), rs.getString("xid"),
                        rs.getDouble("prepared_seconds"), rs.getLong("xid_age"), rs.getLong("lock_count"),
                        rs.getString("locked_objects"), ints(rs.getArray("waiting_pids")), longest));
            }
        }
        return out;
    }

    /**
     * Tells whether the server can hold prepared transactions at all.
     *
     * @param context the check's context
     * @return false when {@code max_prepared_transactions} is 0 (the default)
     */
    static boolean enabled(CheckContext context) {
        return context.facts().settingAsLong("max_prepared_transactions", 0) > 0;
    }

    private static List<Integer> ints(Array array) throws SQLException {
        if (array == null) {
            return List.of();
        }
        List<Integer> pids = new ArrayList<>();
        for (Object o : (Object[]) array.getArray()) {
            pids.add(((Number) o).intValue());
        }
        return pids;
    }
}
