package io.ampora.dbguard.check;

import java.util.Map;
import java.util.Optional;

/**
 * What the guard knows about how the application connects, with secrets already removed.
 *
 * <p>The {@code tls} check reads the client-side SSL settings here, and the reports show the masked
 * URL. It is known when the guard was given a JDBC URL, or a pgjdbc DataSource; an opaque DataSource
 * leaves it {@link #unknown()}.
 *
 * @param maskedUrl  the JDBC URL with any password replaced by {@code ****}; empty when unknown
 * @param host       the first host, empty when unknown
 * @param port       the first port, 0 when unknown
 * @param database   the database name, empty when unknown
 * @param user       the user name, empty when unknown
 * @param properties the connection properties that matter to checks (sslmode, ssl, sslfactory,
 *                   ApplicationName, ...), never a password
 */
public record ConnectionInfo(
        String maskedUrl, String host, int port, String database, String user, Map<String, String> properties) {

    /** Freezes the properties and replaces nulls with empty values. */
    public ConnectionInfo {
        maskedUrl = maskedUrl == null ? "" : maskedUrl;
        host = host == null ? "" : host;
        database = database == null ? "" : database;
        user = user == null ? "" : user;
        properties = Map.copyOf(properties == null ? Map.of() : properties);
    }

    /** @return the value used when the guard knows nothing of the connection */
    public static ConnectionInfo unknown() {
        return new ConnectionInfo("", "", 0, "", "", Map.of());
    }

    /** @return whether anything is known */
    public boolean isKnown() {
        return !maskedUrl.isEmpty() || !host.isEmpty();
    }

    /**
     * Reads a connection property, case-insensitively as pgjdbc does.
     *
     * @param name the property name
     * @return its value, empty when not set
     */
    public Optional<String> property(String name) {
        return properties.entrySet().stream()
                .filter(e -> e.getKey().equalsIgnoreCase(name))
                .map(Map.Entry::getValue)
                .findFirst();
    }
}
