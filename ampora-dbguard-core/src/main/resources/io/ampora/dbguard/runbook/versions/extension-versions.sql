-- Extensions installed in this database at another version than the one this server's files default to,
-- or with no files on this server at all. pg_upgrade keeps each extension's catalog version (the
-- update_extensions.sql it writes has to be run by hand), and a dump restored on another server creates
-- the version the dump names: the old version's SQL objects stay (missing functions or columns, or a new
-- library called through old definitions). An extension whose control file is missing cannot be updated,
-- and its functions fail once its library is missing too ("could not access file").
-- pg_available_extensions reads the control files in the server's share directory (a few ms).
SELECT e.extname::text                    AS name,
       pg_catalog.quote_ident(e.extname)  AS name_ident,
       e.extversion                       AS installed_version,
       a.default_version,
       a.name IS NOT NULL                 AS has_files,
       r.rolname::text                    AS owner
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_roles r ON r.oid = e.extowner
LEFT JOIN pg_catalog.pg_available_extensions a ON a.name = e.extname
WHERE a.default_version IS DISTINCT FROM e.extversion
ORDER BY e.extname
