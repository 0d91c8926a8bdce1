package io.ampora.dbguard.internal;

import io.ampora.dbguard.check.SessionTls;
import io.ampora.dbguard.check.Sql;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * Reads whether the session itself uses TLS ({@code session-tls.sql}): once with the server facts
 * ({@link ServerFactsReader}), and by the {@code tls} check on its own session when the facts came from
 * elsewhere. One query for both, so they cannot disagree.
 */
public final class SessionTlsQuery {

    private SessionTlsQuery() {
    }

    /**
     * @param statement a statement on the session to describe
     * @return its TLS state, empty when {@code pg_stat_ssl} has no row for it
     * @throws SQLException when the query fails
     */
    public static Optional<SessionTls> read(Statement statement) throws SQLException {
        try (ResultSet rs = statement.executeQuery(Sql.load(SessionTlsQuery.class, "session-tls"))) {
            if (!rs.next()) {
                return Optional.empty();
            }
            return Optional.of(new SessionTls(rs.getBoolean("ssl"), rs.getString("tls_version"), rs.getString("cipher"),
                    rs.getString("server_addr"), rs.getBoolean("loopback")));
        }
    }
}
