CREATE TABLE purchase (id bigserial PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenant (id));
