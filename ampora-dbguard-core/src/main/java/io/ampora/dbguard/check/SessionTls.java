package io.ampora.dbguard.check;

/**
 * Whether the session that read the {@link ServerFacts} uses TLS, from {@code pg_stat_ssl} of its own
 * backend, and whether it runs over loopback (no network to protect). Every session of one guard comes from
 * the same DataSource with the same client settings, so this one stands for all of them; it changes only
 * when the server's TLS configuration does (a configuration reload or a restart), and is read again then.
 *
 * @param ssl        whether the session is encrypted
 * @param version    the TLS version, e.g. {@code TLSv1.3}, or null without TLS
 * @param cipher     the cipher, or null without TLS
 * @param serverAddr the server address the session is connected to, or null over a Unix socket
 * @param loopback   whether the connection runs over loopback (or a Unix socket)
 */
public record SessionTls(boolean ssl, String version, String cipher, String serverAddr, boolean loopback) {
}
