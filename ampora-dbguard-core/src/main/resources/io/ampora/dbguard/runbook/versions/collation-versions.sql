-- Collations that indexes of this database sort by, with the version recorded in the catalog when the
-- collation was created (or last refreshed) and the version the operating system's library (glibc or ICU)
-- reports now. A difference means the library may sort strings differently than when the indexes were
-- built: after restoring a physical backup on another OS image, or an OS or ICU upgrade (glibc 2.28 changed
-- most locales). Lookups then miss rows and unique indexes let duplicates in, silently.
--
-- Only collations some index uses are asked for their actual version: opening an ICU collator costs, and
-- initdb records a version for every one of the ~700 ICU collations. The database's default collation
-- (oid 100) has no version in pg_collation; from PostgreSQL 15 it is in pg_database (the second query).
-- Bind parameter: how many index names to return per collation.
WITH used AS (
    SELECT coll.oid AS collation_oid, i.indexrelid
    FROM pg_catalog.pg_index i
    CROSS JOIN LATERAL pg_catalog.unnest(i.indcollation::oid[]) AS coll(oid)
    WHERE coll.oid <> 0
    GROUP BY coll.oid, i.indexrelid
), versioned AS (
    SELECT c.oid,
           format('%I.%I', n.nspname, c.collname)             AS collation_name,
           c.collprovider::text                               AS provider,
           c.collversion                                      AS recorded_version,
           pg_catalog.pg_collation_actual_version(c.oid)      AS actual_version
    FROM pg_catalog.pg_collation c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
    WHERE c.collversion IS NOT NULL
      AND c.oid IN (SELECT collation_oid FROM used)
)
SELECT v.collation_name,
       v.provider,
       v.recorded_version,
       v.actual_version,
       (SELECT count(*) FROM used u WHERE u.collation_oid = v.oid)                 AS index_count,
       ARRAY(SELECT format('%I.%I', ns.nspname, ic.relname)
             FROM used u
             JOIN pg_catalog.pg_class ic ON ic.oid = u.indexrelid
             JOIN pg_catalog.pg_namespace ns ON ns.oid = ic.relnamespace
             WHERE u.collation_oid = v.oid
             ORDER BY ns.nspname, ic.relname
             LIMIT ?)                                                               AS indexes
FROM versioned v
WHERE v.recorded_version IS DISTINCT FROM v.actual_version
ORDER BY v.collation_name
