-- The password expiry (VALID UNTIL) of the role this session logged in as: session_user, which SET ROLE does not
-- change. NULL or infinity: it never expires. seconds_left is negative once it has passed.
SELECT r.rolname,
       pg_catalog.quote_ident(r.rolname)                                           AS role_ident,
       r.rolvaliduntil IS NULL OR NOT pg_catalog.isfinite(r.rolvaliduntil)          AS never,
       to_char(r.rolvaliduntil AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')   AS valid_until,
       CASE WHEN pg_catalog.isfinite(r.rolvaliduntil)
            THEN extract(epoch FROM r.rolvaliduntil - pg_catalog.now())::float8 END AS seconds_left
FROM pg_catalog.pg_roles r
WHERE r.rolname = session_user
