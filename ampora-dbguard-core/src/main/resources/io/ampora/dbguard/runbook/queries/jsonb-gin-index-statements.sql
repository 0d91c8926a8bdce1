-- Statements of the current database whose text holds a jsonb containment or existence operator
-- (@>, @?, @@, ?, ?|, ?&; chr(63) is the question mark, kept out of the text for the JDBC parser).
-- The view name is filled in by the check. The most called first.
SELECT s.query,
       s.calls
FROM {view} s
WHERE s.dbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
  AND s.query IS NOT NULL
  AND (pg_catalog.strpos(s.query, '@>') > 0
       OR pg_catalog.strpos(s.query, '@@') > 0
       OR pg_catalog.strpos(s.query, pg_catalog.chr(63)) > 0)
ORDER BY s.calls DESC
LIMIT 5000
