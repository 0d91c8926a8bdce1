-- The demo's multi-tenant schema. Migrations run as the owner role (ampora_owner); the application
-- role (ampora_app) gets DML through the owner's default privileges (set once by the DBA, see
-- DemoEnvironment), never ownership: a table owner is exempt from RLS unless FORCE is set.
CREATE TABLE tenants (
    id         uuid PRIMARY KEY,
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid        NOT NULL REFERENCES tenants (id),
    customer    text        NOT NULL,
    total_cents bigint      NOT NULL,
    attributes  jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX orders_tenant_id_idx ON orders (tenant_id, created_at);
