-- PostgreSQL 16+: how this session authenticated ("scram-sha-256:alice", "cert:CN", NULL for trust). VALID UNTIL
-- binds only the password methods.
SELECT system_user AS auth
