package io.ampora.dbguard.runbook.locks;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.GuardOptions;
import io.ampora.dbguard.check.Sql;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Reads the sessions inside a transaction for the long-transactions and idle-in-transaction checks. */
final class OpenTransactions {

    private OpenTransactions() {
    }

    /**
     * A session inside a transaction. For a hidden one (another role, no pg_read_all_stats) only pid, user,
     * application name and xmin age are known.
     */
    record Row(int pid, boolean hidden, String user, String applicationName, String clientAddress, String state,
               boolean waitingOnLock, String query, Double transactionSeconds, Double stateSeconds, Long xminAge, String roleIdent) {
    }

    /** Runs a check's query (parameter 1: the guard's application_name) and reads its rows. */
    static List<Row> read(CheckContext context, String sqlName) throws SQLException {
        List<Row> rows = new ArrayList<>();
        try (PreparedStatement st = context.connection().prepareStatement(Sql.load(OpenTransactions.class, sqlName))) {
            st.setString(1, GuardOptions.GUARD_APPLICATION_NAME);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Row(
                            rs.getInt("pid"),
                            rs.getBoolean("hidden"),
                            rs.getString("user_name"),
                            rs.getString("application_name"),
                            rs.getString("client_addr"),
                            rs.getString("state"),
                            rs.getBoolean("waiting_on_lock"),
                            rs.getString("query"),
                            nullable(rs, "xact_seconds"),
                            nullable(rs, "state_seconds"),
                            rs.getObject("xmin_age") == null ? null : rs.getLong("xmin_age"),
                            rs.getString("role_ident")));
                }
            }
        }
        return rows;
    }

    /** The finding for sessions of other roles whose transaction this role cannot see into. */
    static Finding hiddenFinding(List<Row> hidden, String whatIsHidden) {
        String pids = hidden.stream().map(r -> r.pid() + " (" + (r.applicationName().isEmpty()
                ? "no application_name" : r.applicationName()) + ", user " + r.user() + ")")
                .collect(Collectors.joining(", "));
        String grant = Sessions.grant(hidden.get(0).roleIdent());
        long maxXmin = hidden.stream().map(Row::xminAge).filter(x -> x != null).mapToLong(Long::longValue).max().orElse(0);
        return Finding.builder(hidden.size() + (hidden.size() == 1 ? " session of another role is" : " sessions of other roles are")
                        + " inside a transaction, but " + whatIsHidden + " is hidden from this role: " + pids
                        + ". " + grant + " to see them.")
                .detail("hiddenSessions", hidden.size())
                .detail("pids", hidden.stream().map(r -> String.valueOf(r.pid())).collect(Collectors.joining(", ")))
                .detail("maxXminAge", maxXmin)
                .detail("grant", grant)
                .build();
    }

    private static Double nullable(ResultSet rs, String column) throws SQLException {
        double v = rs.getDouble(column);
        return rs.wasNull() ? null : v;
    }
}
