package io.ampora.dbguard.runbook.queries;

import io.ampora.dbguard.check.GuardOptions;
import io.ampora.dbguard.check.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * Something that holds vacuum's xmin horizon back for this database's tables: a session with an old transaction or
 * snapshot, a prepared transaction, a replication slot with an xmin or a standby's {@code hot_standby_feedback}.
 * While it lasts, no VACUUM removes a row version deleted after it began, so "run VACUUM" is the wrong first step for a
 * table whose dead tuples stay over the autovacuum threshold.
 *
 * @param kind            "session", "prepared transaction", "replication slot" or "standby"
 * @param pid             the backend's pid (sessions, standbys), else 0
 * @param name            the gid or slot name, quoted, else null
 * @param user            the role, or empty
 * @param applicationName the application_name, or empty
 * @param state           the session's state, null when hidden or not a session; "active" or "inactive" for a slot
 * @param started         since when it holds the horizon (transaction start, prepare time, an inactive slot's
 *                        {@code inactive_since} on PostgreSQL 17+), null when unknown
 * @param xidAge          how many transactions old the horizon it holds is
 * @param fix             how to end it
 */
record HorizonHolder(String kind, int pid, String name, String user, String applicationName, String state,
                     OffsetDateTime started, long xidAge, String fix) {

    /**
     * @param c the connection
     * @return the holders, oldest horizon first (at most five), the guard's own sessions left out
     * @throws SQLException when they cannot be read
     */
    static List<HorizonHolder> read(Connection c) throws SQLException {
        List<HorizonHolder> holders = new ArrayList<>();
        try (PreparedStatement st = c.prepareStatement(Sql.load(VacuumHealthCheck.class, "vacuum-health-horizon"))) {
            st.setString(1, GuardOptions.GUARD_APPLICATION_NAME);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    holders.add(new HorizonHolder(rs.getString("kind"), rs.getInt("pid"), rs.getString("name"),
                            rs.getString("user_name"), rs.getString("application_name"), rs.getString("state"),
                            rs.getObject("started", OffsetDateTime.class), rs.getLong("xid_age"), rs.getString("fix")));
                }
            }
        }
        return holders;
    }

    /** @return "pid 4711 (psql, user alice, idle in transaction)", "prepared transaction 'tx-1'", ... */
    String describe() {
        return switch (kind) {
            case "session" -> "pid " + pid + " (" + (applicationName.isEmpty() ? "no application_name" : applicationName)
                    + ", user " + (user.isEmpty() ? "unknown" : user) + (state == null ? "" : ", " + state) + ")";
            case "standby" -> "the standby " + (applicationName.isEmpty() ? "pid " + pid : applicationName)
                    + " (hot_standby_feedback)";
            case "replication slot" -> inactiveSlot() ? "replication slot " + name + " (inactive: no standby streams"
                    + " from it)" : "replication slot " + name + " (streamed by the standby "
                    + (applicationName.isEmpty() ? "pid " + pid : applicationName) + " with hot_standby_feedback)";
            default -> kind + " " + name;
        };
    }

    /** @return when it began holding the horizon, to the second, or "an unknown time" */
    String since() {
        return started == null ? "an unknown time" : started.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    }

    /**
     * @return what to know before applying {@link #fix()}, with a leading space, or empty: dropping a slot a standby
     *         still needs leaves that standby without the WAL it has not received yet
     */
    String caution() {
        return inactiveSlot() ? " (only if its standby is gone for good: a standby that still uses the slot would need a"
                + " fresh base backup afterwards)" : "";
    }

    /**
     * @return whether this holder is outside this database's transactions (a replication slot, a standby) or a session
     *         hidden from the role: what only a comparison of horizons, not its own start, can tie to a table's
     *         dead tuples
     */
    boolean outsideView() {
        return started == null || kind.equals("replication slot");
    }

    private boolean inactiveSlot() {
        return kind.equals("replication slot") && "inactive".equals(state);
    }

    /**
     * @param lastVacuum when the table was last vacuumed, or null
     * @return whether that vacuum ran while this held the horizon: it left the dead tuples this holder keeps
     */
    boolean heldDuring(OffsetDateTime lastVacuum) {
        return started != null && lastVacuum != null && lastVacuum.isAfter(started);
    }
}
