package io.ampora.dbguard.internal;

import io.ampora.dbguard.check.ConnectionInfo;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.postgresql.Driver;
import org.postgresql.ds.common.BaseDataSource;

/** Derives a {@link ConnectionInfo} from a JDBC URL and properties, or from a pgjdbc DataSource. */
public final class ConnectionInfos {

    private ConnectionInfos() {
    }

    /**
     * Parses a pgjdbc URL and its properties; the password is left out and masked in the URL.
     *
     * @param url        the JDBC URL
     * @param properties extra properties (may be null)
     * @param masker     the masker for the URL
     * @return the info, or {@link ConnectionInfo#unknown()} when pgjdbc cannot parse the URL
     */
    public static ConnectionInfo fromUrl(String url, Properties properties, SecretMasker masker) {
        Properties parsed = Driver.parseURL(url, properties == null ? new Properties() : properties);
        if (parsed == null) {
            return ConnectionInfo.unknown();
        }
        Map<String, String> props = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (String name : parsed.stringPropertyNames()) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.contains("password") || name.startsWith("PG")) {
                continue;
            }
            props.put(name, parsed.getProperty(name));
        }
        String host = first(parsed.getProperty("PGHOST"));
        int port = parsePort(first(parsed.getProperty("PGPORT")));
        return new ConnectionInfo(masker.mask(url), host, port, parsed.getProperty("PGDBNAME", ""),
                parsed.getProperty("user", ""), props);
    }

    /**
     * Reads what a pgjdbc DataSource is configured with; any other DataSource is unknown.
     *
     * @param dataSource the DataSource
     * @param masker     the masker for the URL
     * @return the info
     */
    public static ConnectionInfo fromDataSource(DataSource dataSource, SecretMasker masker) {
        if (dataSource instanceof BaseDataSource pg) {
            Properties props = new Properties();
            if (pg.getUser() != null) {
                props.setProperty("user", pg.getUser());
            }
            return fromUrl(pg.getUrl(), props, masker);
        }
        return ConnectionInfo.unknown();
    }

    /**
     * The password a pgjdbc DataSource carries, so it can be masked; null for other DataSources.
     *
     * @param dataSource the DataSource
     * @return the password or null
     */
    public static String passwordOf(DataSource dataSource) {
        return dataSource instanceof BaseDataSource pg ? pg.getPassword() : null;
    }

    /**
     * The password written in a JDBC URL's parameters, so it can be masked; null when there is none.
     *
     * @param url the URL
     * @return the password or null
     */
    public static String passwordOf(String url) {
        Properties parsed = url == null ? null : Driver.parseURL(url, new Properties());
        return parsed == null ? null : parsed.getProperty("password");
    }

    private static String first(String commaSeparated) {
        if (commaSeparated == null) {
            return "";
        }
        int comma = commaSeparated.indexOf(',');
        return comma < 0 ? commaSeparated : commaSeparated.substring(0, comma);
    }

    private static int parsePort(String port) {
        try {
            return port.isEmpty() ? 0 : Integer.parseInt(port);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
