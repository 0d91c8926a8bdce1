-- Hard isolation: every tenant table has RLS enabled AND forced, with a policy keyed on app.tenant_id
-- through ampora_current_tenant(), which raises instead of hiding every row when no tenant is bound.
-- ENABLE/FORCE take a brief ACCESS EXCLUSIVE lock on orders: lock_timeout keeps it from queueing every
-- query on orders behind one long transaction (MigrationRule.LOCK_TIMEOUT).
SET lock_timeout = '5s';
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE orders FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON orders
    USING (tenant_id = (SELECT ampora_current_tenant())::uuid)
    WITH CHECK (tenant_id = (SELECT ampora_current_tenant())::uuid);
