-- How close each database is to transaction ID and multixact ID wraparound (beyond the runbook).
-- age(datfrozenxid) counts the transactions since the database's oldest unfrozen row; at about 2^31
-- PostgreSQL stops assigning new transaction IDs. autovacuum forces an anti-wraparound vacuum of a
-- table once its age passes autovacuum_freeze_max_age; an age far above that means vacuum cannot
-- freeze (a long transaction, a prepared transaction or a replication slot holds the horizon back).
-- pg_database is readable by every role.
SELECT d.datname,
       pg_catalog.quote_ident(d.datname)  AS database_ident,
       d.datallowconn                      AS allow_connections,
       pg_catalog.age(d.datfrozenxid)      AS xid_age,
       pg_catalog.mxid_age(d.datminmxid)   AS mxid_age
FROM pg_catalog.pg_database d
ORDER BY pg_catalog.age(d.datfrozenxid) DESC, d.datname
