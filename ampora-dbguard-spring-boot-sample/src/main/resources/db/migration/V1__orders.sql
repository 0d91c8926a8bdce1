CREATE FUNCTION ampora_current_tenant() RETURNS uuid LANGUAGE plpgsql STABLE AS $$
DECLARE
    t text := current_setting('app.tenant_id', true);
BEGIN
    IF t IS NULL OR t = '' THEN
        RAISE EXCEPTION 'app.tenant_id is not set';
    END IF;
    RETURN t::uuid;
END $$;

CREATE TABLE orders (
    id        bigserial PRIMARY KEY,
    tenant_id uuid NOT NULL DEFAULT ampora_current_tenant(),
    item      text NOT NULL
);
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE orders FORCE ROW LEVEL SECURITY;
CREATE POLICY orders_tenant ON orders USING (tenant_id = ampora_current_tenant())
    WITH CHECK (tenant_id = ampora_current_tenant());
