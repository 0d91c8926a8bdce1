-- The server process serving this session. Through a connection pooler (PgBouncer, Odyssey, pgcat, RDS
-- Proxy) it differs from the process id the driver got at login (BackendKeyData, which the pooler sends
-- itself), so comparing the two tells a pooler from a direct connection without any privilege.
SELECT pg_catalog.pg_backend_pid() AS server_pid
