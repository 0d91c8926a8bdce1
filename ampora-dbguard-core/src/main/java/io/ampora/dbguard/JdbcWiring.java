package io.ampora.dbguard;

import io.ampora.dbguard.check.ConnectionInfo;
import io.ampora.dbguard.internal.ConnectionInfos;
import io.ampora.dbguard.internal.SecretMasker;
import io.ampora.dbguard.internal.UrlDataSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JDBC side of a guard's configuration: the primary's and the replica's DataSource (given, or the
 * guard's own unpooled one for a URL, with every wait bounded), their masked connection info, and the
 * masker built from every secret the configuration holds. Validates URLs, sslmode and the either-or rules.
 */
final class JdbcWiring {

    private static final Logger LOG = LoggerFactory.getLogger(DbGuard.class);
    /** pgjdbc's sslmode values; anything else fails only at connect time, so refuse it at build(). */
    private static final List<String> SSL_MODES = List.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

    private final DataSource dataSource;
    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final Properties properties;
    private final DataSource replicaDataSource;
    private final String replicaJdbcUrl;
    private final String replicaUser;
    private final String replicaPassword;
    private final Duration connectTimeout;
    private final Duration checkTimeout;
    private final SecretMasker masker;

    JdbcWiring(DataSource dataSource, String jdbcUrl, String user, String password, Properties properties,
               DataSource replicaDataSource, String replicaJdbcUrl, String replicaUser, String replicaPassword,
               List<String> secrets, Duration connectTimeout, Duration checkTimeout) {
        this.dataSource = dataSource;
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.properties = properties;
        this.replicaDataSource = replicaDataSource;
        this.replicaJdbcUrl = replicaJdbcUrl;
        this.replicaUser = replicaUser;
        this.replicaPassword = replicaPassword;
        this.connectTimeout = connectTimeout;
        this.checkTimeout = checkTimeout;
        List<String> allSecrets = new ArrayList<>(secrets);
        allSecrets.add(password);
        allSecrets.add(properties.getProperty("password"));
        allSecrets.add(ConnectionInfos.passwordOf(jdbcUrl));
        allSecrets.add(ConnectionInfos.passwordOf(dataSource));
        allSecrets.add(ConnectionInfos.passwordOf(replicaDataSource));
        allSecrets.add(replicaPassword);
        allSecrets.add(ConnectionInfos.passwordOf(replicaJdbcUrl));
        this.masker = SecretMasker.of(allSecrets.stream().filter(Objects::nonNull).toList());
    }

    /** @return the masker for every secret of the configuration */
    SecretMasker masker() {
        return masker;
    }

    /** @return the primary's masked connection info */
    ConnectionInfo primaryInfo(DataSource primary) {
        return jdbcUrl != null ? ConnectionInfos.fromUrl(jdbcUrl, connectionProps(), masker)
                : ConnectionInfos.fromDataSource(primary, masker);
    }

    /** @return the replica's masked connection info (empty-handed when there is no replica) */
    ConnectionInfo replicaInfo(DataSource replica) {
        return replicaJdbcUrl != null ? ConnectionInfos.fromUrl(replicaJdbcUrl, replicaConnectionProps(), masker)
                : ConnectionInfos.fromDataSource(replica, masker);
    }

    DataSource primary() {
        if (dataSource != null && jdbcUrl != null) {
            throw new DbGuardConfigurationException("Set either dataSource or jdbcUrl, not both");
        }
        if (dataSource != null) {
            return unscoped(dataSource);
        }
        if (jdbcUrl == null || jdbcUrl.isBlank()) {
            throw new DbGuardConfigurationException(
                    "No database: set dataSource(...) or jdbcUrl(\"jdbc:postgresql://host:5432/db\")");
        }
        Properties parsed = jdbcUrl.startsWith("jdbc:postgresql:")
                ? org.postgresql.Driver.parseURL(jdbcUrl, connectionProps()) : null;
        if (parsed == null) {
            boolean libpq = jdbcUrl.startsWith("postgres://") || jdbcUrl.startsWith("postgresql://");
            throw new DbGuardConfigurationException("jdbcUrl '" + masker.mask(jdbcUrl)
                    + "' is not a PostgreSQL JDBC URL; expected jdbc:postgresql://host[:port]/database[?param=value...]"
                    + (libpq ? " (that is a libpq URI: prefix it with jdbc:, drop user:password@ and pass user()"
                            + " and password() instead)" : ""));
        }
        String sslmode = parsed.getProperty("sslmode");
        if (sslmode != null && !SSL_MODES.contains(sslmode)) {
            throw new DbGuardConfigurationException("jdbcUrl or connectionProperty: sslmode '" + sslmode
                    + "' is not one of " + String.join(", ", SSL_MODES));
        }
        return new UrlDataSource(jdbcUrl, boundedConnectionProps());
    }

    /**
     * The DataSource under every {@link ScopedDataSource} layer: the guard's checks have no tenant (or
     * other scope), so through the wrapper each of them would be refused (issue 19).
     */
    private static DataSource unscoped(DataSource given) {
        DataSource current = given;
        for (int depth = 0; depth < 8; depth++) {
            ScopedDataSource scoped = scopedLayer(current);
            if (scoped == null || scoped.delegate() == null) {
                break;
            }
            LOG.debug("DbGuard runs its checks on {}, the DataSource under {}", scoped.delegate().getClass().getName(),
                    scoped.getClass().getName());
            current = scoped.delegate();
        }
        return current;
    }

    private static ScopedDataSource scopedLayer(DataSource dataSource) {
        if (dataSource instanceof ScopedDataSource scoped) {
            return scoped;
        }
        try {
            return dataSource.isWrapperFor(ScopedDataSource.class) ? dataSource.unwrap(ScopedDataSource.class) : null;
        } catch (java.sql.SQLException | RuntimeException e) {
            return null; // a wrapper that cannot tell is used as given
        }
    }

    /**
     * pgjdbc waits forever for a server that accepts TCP and never answers (loginTimeout and
     * socketTimeout default to 0), so a blackholed connect would strand a thread per report: bound every
     * wait by the guard's budgets unless the URL or the properties set them.
     */
    private Properties boundedConnectionProps() {
        Properties p = connectionProps();
        p.putIfAbsent("connectTimeout", ceilSeconds(connectTimeout));
        p.putIfAbsent("loginTimeout", ceilSeconds(connectTimeout));
        p.putIfAbsent("socketTimeout", ceilSeconds(connectTimeout.plus(checkTimeout)));
        return p;
    }

    private static String ceilSeconds(Duration d) {
        return Long.toString(Math.max(1, (d.toMillis() + 999) / 1000));
    }

    DataSource replica() {
        if (replicaJdbcUrl == null) {
            return replicaDataSource == null ? null : unscoped(replicaDataSource);
        }
        if (replicaDataSource != null) {
            throw new DbGuardConfigurationException("Set either replicaDataSource or replicaJdbcUrl, not both");
        }
        if (!replicaJdbcUrl.startsWith("jdbc:postgresql:")
                || org.postgresql.Driver.parseURL(replicaJdbcUrl, new Properties()) == null) {
            throw new DbGuardConfigurationException("replicaJdbcUrl '" + masker.mask(replicaJdbcUrl)
                    + "' is not a PostgreSQL JDBC URL; expected jdbc:postgresql://host[:port]/database[?param=value...]");
        }
        return new UrlDataSource(replicaJdbcUrl, replicaConnectionProps());
    }

    private Properties replicaConnectionProps() {
        Properties p = connectionProps();
        if (replicaUser != null) {
            p.setProperty("user", replicaUser);
        }
        if (replicaPassword != null) {
            p.setProperty("password", replicaPassword);
        }
        return p;
    }

    private Properties connectionProps() {
        Properties p = new Properties();
        p.putAll(properties);
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        return p;
    }
}
