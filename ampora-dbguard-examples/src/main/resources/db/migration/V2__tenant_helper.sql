-- A verbatim copy of the ampora-dbguard-rls helper (TenantHelper.sql()); TenantHelperMigrationTest keeps them equal.
-- Ampora DbGuard: the tenant of the current transaction, or an error when none is bound.
--
-- Apply it in a migration, then write policies with it instead of current_setting():
--
--   ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
--   ALTER TABLE orders FORCE ROW LEVEL SECURITY;
--   CREATE POLICY tenant_isolation ON orders
--       USING (tenant_id = (SELECT ampora_current_tenant())::uuid)
--       WITH CHECK (tenant_id = (SELECT ampora_current_tenant())::uuid);
--
-- Why: current_setting('app.tenant_id', true) is NULL on a new session but '' on a pooled session
-- where an earlier transaction set it, so a policy comparing it to a text column silently returns no
-- rows (runbook 9, "RLS hides every row"). This function treats NULL and '' alike and raises
-- SQLSTATE 42501 instead. Wrapping the call in (SELECT ...) makes PostgreSQL evaluate it once per
-- statement rather than once per row. For another setting name pass it: ampora_current_tenant('acme.tenant').
CREATE OR REPLACE FUNCTION ampora_current_tenant(setting_name text DEFAULT 'app.tenant_id')
    RETURNS text
    LANGUAGE plpgsql
    STABLE
    PARALLEL SAFE
AS $function$
DECLARE
    tenant text := NULLIF(pg_catalog.current_setting(setting_name, true), '');
BEGIN
    IF tenant IS NULL THEN
        RAISE EXCEPTION 'no tenant is bound to this transaction: % is not set', setting_name
            USING ERRCODE = '42501',
                  HINT = 'Bind it as the first statement of the transaction with SELECT set_config('''
                         || setting_name || ''', <tenant id>, true); maintenance work needs a role with BYPASSRLS.';
    END IF;
    RETURN tenant;
END
$function$;
