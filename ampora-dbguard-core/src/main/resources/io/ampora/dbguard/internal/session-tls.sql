-- Whether this very session uses TLS, and whether it runs over loopback (no network to protect); read with
-- the settings (at the first report, after a restart or a configuration reload), not on every report.
SELECT coalesce(s.ssl, false) AS ssl,
       s.version             AS tls_version,
       s.cipher              AS cipher,
       pg_catalog.host(pg_catalog.inet_server_addr()) AS server_addr,
       coalesce(pg_catalog.inet_server_addr() <<= inet '127.0.0.0/8'
                OR pg_catalog.inet_server_addr() = inet '::1', true) AS loopback
FROM pg_catalog.pg_stat_ssl s
WHERE s.pid = pg_catalog.pg_backend_pid()
