-- PostgreSQL 15+: the database's default collation, its version recorded in pg_database at CREATE DATABASE
-- (or the last REFRESH COLLATION VERSION) against what the library reports now, and how many indexes of
-- this database sort by it (index columns whose collation is the default, oid 100; the system catalogs'
-- sort by "C"), with the first names.
-- Bind parameter: how many index names to return.
WITH used AS (
    SELECT DISTINCT i.indexrelid
    FROM pg_catalog.pg_index i
    JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
    CROSS JOIN LATERAL pg_catalog.unnest(i.indcollation::oid[]) AS coll(oid)
    WHERE coll.oid = 100
      AND ic.relnamespace <> 'pg_catalog'::regnamespace
)
SELECT d.datname::text                                              AS database_name,
       pg_catalog.quote_ident(d.datname)                            AS database_ident,
       d.datlocprovider::text                                       AS provider,
       d.datcollversion                                             AS recorded_version,
       pg_catalog.pg_database_collation_actual_version(d.oid)       AS actual_version,
       (SELECT count(*) FROM used)                                  AS index_count,
       ARRAY(SELECT format('%I.%I', ns.nspname, ic.relname)
             FROM used u
             JOIN pg_catalog.pg_class ic ON ic.oid = u.indexrelid
             JOIN pg_catalog.pg_namespace ns ON ns.oid = ic.relnamespace
             ORDER BY ns.nspname, ic.relname
             LIMIT ?)                                               AS indexes
FROM pg_catalog.pg_database d
WHERE d.datname = pg_catalog.current_database()
