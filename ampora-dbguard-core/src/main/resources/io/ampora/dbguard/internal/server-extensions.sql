SELECT e.extname, e.extversion
FROM pg_catalog.pg_extension e
