-- A migration of the next release, which this build of the demo does not know (scenario newer-schema).
CREATE TABLE invoices (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid   NOT NULL,
    order_id  bigint NOT NULL,
    total_cents bigint NOT NULL
);

ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invoices
    USING (tenant_id = (SELECT ampora_current_tenant())::uuid)
    WITH CHECK (tenant_id = (SELECT ampora_current_tenant())::uuid);
