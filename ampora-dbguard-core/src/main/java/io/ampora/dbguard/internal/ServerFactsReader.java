package io.ampora.dbguard.internal;

import io.ampora.dbguard.check.ServerFacts;
import io.ampora.dbguard.check.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/** Reads {@link ServerFacts} on a prepared read-only session: three small catalog queries. */
final class ServerFactsReader {

    private ServerFactsReader() {
    }

    static ServerFacts read(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement()) {
            Map<String, String> settings = new HashMap<>();
            try (ResultSet rs = st.executeQuery(Sql.load(ServerFactsReader.class, "server-settings"))) {
                while (rs.next()) {
                    settings.put(rs.getString(1), rs.getString(2) == null ? "" : rs.getString(2));
                }
            }
            Map<String, String> extensions = new HashMap<>();
            try (ResultSet rs = st.executeQuery(Sql.load(ServerFactsReader.class, "server-extensions"))) {
                while (rs.next()) {
                    extensions.put(rs.getString(1), rs.getString(2));
                }
            }
            try (ResultSet rs = st.executeQuery(Sql.load(ServerFactsReader.class, "server-facts"))) {
                if (!rs.next()) {
                    throw new SQLException("the current role is not in pg_roles; cannot read server facts");
                }
                return new ServerFacts(
                        rs.getInt("version_num"),
                        rs.getString("version"),
                        rs.getString("database_name"),
                        rs.getString("current_user_name"),
                        rs.getString("session_user_name"),
                        rs.getBoolean("superuser"),
                        rs.getBoolean("bypass_rls"),
                        rs.getBoolean("read_all_stats"),
                        rs.getBoolean("monitor"),
                        rs.getBoolean("in_recovery"),
                        settings,
                        extensions);
            }
        }
    }
}
