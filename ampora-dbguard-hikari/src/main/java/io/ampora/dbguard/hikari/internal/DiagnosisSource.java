package io.ampora.dbguard.hikari.internal;

import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.check.ConnectionSlots;
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.internal.UrlDataSource;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Runs diagnosis queries on a separate, non-pooled connection (the pool may be exhausted), with a short
 * connect and statement timeout. Built from HikariCP's jdbcUrl and credentials, a non-pooled pgjdbc
 * DataSource HikariCP wraps, or a DataSource the user configured.
 */
public final class DiagnosisSource {

    private static final String SESSION_SQL = Sql.load(DiagnosisSource.class, "session-activity");
    private static final String LIMITS_SQL = Sql.load(DiagnosisSource.class, "server-limits");

    private final DataSource dataSource;
    private final int timeoutSeconds;
    private final String unavailableReason;
    private volatile ServerLimits lastLimits;

    private DiagnosisSource(DataSource dataSource, Duration timeout, String unavailableReason) {
        this.dataSource = dataSource;
        this.timeoutSeconds = (int) Math.max(1, (timeout.toMillis() + 999) / 1000);
        this.unavailableReason = unavailableReason;
    }

    /**
     * Picks the DataSource for diagnosis queries.
     *
     * @param hikari     the pool
     * @param configured a DataSource the user gave, or null
     * @param timeout    the connect and statement timeout
     * @return the source; {@link #available()} is false when none could be built
     */
    public static DiagnosisSource of(HikariDataSource hikari, DataSource configured, Duration timeout) {
        if (configured != null) {
            return new DiagnosisSource(configured, timeout, null);
        }
        if (hikari.getJdbcUrl() != null && hikari.getJdbcUrl().startsWith("jdbc:postgresql:")) {
            Properties p = new Properties();
            hikari.getDataSourceProperties().forEach((k, v) -> p.setProperty(String.valueOf(k), String.valueOf(v)));
            if (hikari.getUsername() != null) {
                p.setProperty("user", hikari.getUsername());
            }
            if (hikari.getPassword() != null) {
                p.setProperty("password", hikari.getPassword());
            }
            String seconds = Long.toString(Math.max(1, (timeout.toMillis() + 999) / 1000));
            p.setProperty("connectTimeout", seconds);
            p.setProperty("loginTimeout", seconds);
            p.setProperty("socketTimeout", Long.toString(Math.max(2, Long.parseLong(seconds) * 2)));
            p.setProperty("ApplicationName", "ampora-dbguard-diagnosis");
            return new DiagnosisSource(new UrlDataSource(hikari.getJdbcUrl(), p), timeout, null);
        }
        if (hikari.getDataSource() instanceof PGSimpleDataSource simple) {
            return new DiagnosisSource(simple, timeout, null);
        }
        return new DiagnosisSource(null, timeout, "no jdbc:postgresql: URL to open a diagnosis connection with;"
                + " configure PoolGuardConfig.diagnosisDataSource(...)");
    }

    /** @return whether diagnosis queries can run at all */
    public boolean available() {
        return dataSource != null;
    }

    /** @return why diagnosis queries cannot run, or null */
    public String unavailableReason() {
        return unavailableReason;
    }

    /** @return the limits read last, or null when never read */
    public ServerLimits lastLimits() {
        return lastLimits;
    }

    /**
     * Reads the server's connection limits and remembers them for when the server refuses connections.
     *
     * @return the limits
     * @throws SQLException when the server cannot be reached
     */
    public ServerLimits limits() throws SQLException {
        try (Connection c = open(); Statement st = c.createStatement()) {
            st.setQueryTimeout(timeoutSeconds);
            try (ResultSet rs = st.executeQuery(LIMITS_SQL)) {
                rs.next();
                ServerLimits limits = new ServerLimits(new ConnectionSlots(rs.getInt("max_connections"),
                        rs.getInt("superuser_reserved"), rs.getInt("reserved")), rs.getLong("client_sessions"));
                lastLimits = limits;
                return limits;
            }
        }
    }

    /**
     * Reads what the database sees of some sessions.
     *
     * @param pids backend pids
     * @return activity by pid; sessions that are gone are absent
     * @throws SQLException when the query fails
     */
    public Map<Integer, SessionActivity> activity(Collection<Integer> pids) throws SQLException {
        Map<Integer, SessionActivity> result = new HashMap<>();
        if (pids.isEmpty() || !available()) {
            return result;
        }
        try (Connection c = open(); PreparedStatement ps = c.prepareStatement(SESSION_SQL)) {
            ps.setQueryTimeout(timeoutSeconds);
            Array array = c.createArrayOf("int4", pids.toArray());
            ps.setArray(1, array);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    SessionActivity a = new SessionActivity(rs.getInt("pid"), rs.getString("state"), rs.getString("query"),
                            rs.getLong("query_millis"), rs.getLong("xact_millis"), rs.getString("wait_event_type"),
                            rs.getString("wait_event"));
                    result.put(a.pid(), a);
                }
            }
        }
        return result;
    }

    private Connection open() throws SQLException {
        if (dataSource == null) {
            throw new SQLException(unavailableReason);
        }
        return dataSource.getConnection();
    }
}
