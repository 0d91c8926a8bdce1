CREATE TABLE tenant (id uuid PRIMARY KEY, name text NOT NULL);
