-- Audit events moved out of the hot tables; it only grows (runbook: disk usage).
CREATE TABLE audit_event_archive (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid        NOT NULL,
    event       text        NOT NULL,
    payload     text,
    occurred_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE audit_event_archive ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_event_archive FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_event_archive
    USING (tenant_id = (SELECT ampora_current_tenant())::uuid)
    WITH CHECK (tenant_id = (SELECT ampora_current_tenant())::uuid);
