package io.ampora.dbguard.flyway.internal;

import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.internal.SettingValues;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Who keeps a session waiting for a lock: read from another session with {@code pg_blocking_pids}. */
public final class Blockers {


    /**
     * What a session waits for and who blocks it.
     *
     * @param waiting  whether it waits for a lock right now
     * @param event    the wait event (relation, virtualxid, advisory, ...)
     * @param blockers one line per blocking session: pid, application, user, state, transaction age, query
     */
    public record Wait(boolean waiting, String event, List<String> blockers) {

        /** @return the blockers joined for a message, or a note that none was seen */
        public String describe() {
            return blockers.isEmpty() ? "no blocking session seen" : String.join("; ", blockers);
        }
    }

    private Blockers() {
    }

    /**
     * Reads what a session waits for.
     *
     * @param observer another session
     * @param pid      the waiting backend
     * @return the wait
     * @throws SQLException when it cannot be read
     */
    public static Wait of(Connection observer, int pid) throws SQLException {
        boolean waiting = false;
        String event = null;
        List<String> blockers = new ArrayList<>();
        try (PreparedStatement ps = observer.prepareStatement(Sql.load(Blockers.class, "blockers"))) {
            ps.setInt(1, pid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    waiting = "Lock".equals(rs.getString("wait_event_type"));
                    event = rs.getString("wait_event");
                    int blocker = rs.getInt("pid");
                    if (!rs.wasNull()) {
                        long xactMs = rs.getLong("xact_ms");
                        String age = rs.wasNull() ? "no transaction" : "transaction open for "
                                + SettingValues.format(Duration.ofMillis(xactMs));
                        blockers.add("pid " + blocker + " (application '" + rs.getString("application_name") + "', user "
                                + rs.getString("usename") + ", " + rs.getString("state") + ", " + age + ", query: "
                                + oneLine(rs.getString("query")) + ")");
                    }
                }
            }
        }
        return new Wait(waiting, event, blockers);
    }

    private static String oneLine(String query) {
        return query == null ? "" : query.replaceAll("\\s+", " ").strip();
    }
}
