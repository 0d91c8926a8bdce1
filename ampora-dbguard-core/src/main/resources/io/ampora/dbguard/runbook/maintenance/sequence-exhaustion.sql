-- Every sequence with how far it has gone and the column it feeds (beyond the runbook).
-- The limit is the smaller of the sequence's own bound and the owning column's type: an integer
-- column fed by a bigint sequence overflows at 2^31-1 whatever the sequence allows. The owning column
-- comes from pg_depend: 'a' for serial and OWNED BY, 'i' for identity columns.
-- last_value is NULL when the sequence was never used, and cannot be read without SELECT or USAGE on
-- it: has_sequence_privilege() tells the two apart (pg_sequence_last_value raises an error without
-- the privilege before PostgreSQL 18). Other sessions' temporary sequences cannot be read at all.
SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)            AS sequence_name,
       pg_catalog.format_type(s.seqtypid, NULL)                    AS sequence_type,
       s.seqstart                                                  AS start_value,
       s.seqmin                                                    AS min_value,
       s.seqmax                                                    AS max_value,
       s.seqincrement                                              AS increment_by,
       s.seqcycle                                                  AS cycles,
       pg_catalog.has_sequence_privilege(c.oid, 'SELECT,USAGE')    AS readable,
       CASE WHEN pg_catalog.has_sequence_privilege(c.oid, 'SELECT,USAGE')
            THEN pg_catalog.pg_sequence_last_value(c.oid::regclass)
       END                                                         AS last_value,
       CASE WHEN t.oid IS NOT NULL
            THEN pg_catalog.format('%I.%I', tn.nspname, t.relname)
       END                                                         AS table_name,
       pg_catalog.quote_ident(a.attname)                           AS column_name,
       pg_catalog.format_type(a.atttypid, NULL)                    AS column_type,
       d.deptype = 'i'                                             AS identity,
       pg_catalog.quote_ident(current_user::text)                  AS role_ident
FROM pg_catalog.pg_sequence s
JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_depend d
       ON d.classid = 'pg_catalog.pg_class'::regclass
      AND d.objid = c.oid
      AND d.refclassid = 'pg_catalog.pg_class'::regclass
      AND d.refobjsubid > 0
      AND d.deptype IN ('a', 'i')
LEFT JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
WHERE NOT pg_catalog.pg_is_other_temp_schema(n.oid)
ORDER BY 1
