package io.ampora.dbguard.reliability;

/** Schemas that break naive catalog SQL: quotes, spaces, unicode, reserved words, 63-byte names, partitions. */
final class SchemaFixtures {

    /** An identifier of exactly 63 bytes, PostgreSQL's NAMEDATALEN - 1. */
    static final String LONG_NAME = "t" + "x".repeat(61) + "9";

    /** A small but non-trivial schema: FKs, jsonb, partitions, inheritance, a sequence, views, weird names. */
    static final String SMALL = String.join("\n",
            "CREATE SCHEMA \"My Schema\";",
            "CREATE TABLE \"My Schema\".\"Order \"\"Items\"\"\" (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                    + " \"select\" text, \"Ünïcødé ✓\" jsonb);",
            "CREATE TABLE \"My Schema\".\"line items\" (id int PRIMARY KEY, \"order\" bigint"
                    + " REFERENCES \"My Schema\".\"Order \"\"Items\"\"\"(id), doc jsonb);",
            "CREATE INDEX \"idx on doc\" ON \"My Schema\".\"line items\" USING gin (doc);",
            "CREATE TABLE public.\"user\" (\"from\" int PRIMARY KEY, \"to\" int REFERENCES public.\"user\"(\"from\"));",
            "CREATE TABLE public." + LONG_NAME + " (id int PRIMARY KEY, ref int REFERENCES public.\"user\"(\"from\"));",
            "CREATE SEQUENCE \"My Schema\".\"seq 'quoted'\" AS integer MAXVALUE 100;",
            "SELECT nextval('\"My Schema\".\"seq ''quoted''\"');",
            "CREATE TABLE public.events (id bigint, at timestamptz NOT NULL, payload jsonb) PARTITION BY RANGE (at);",
            "CREATE TABLE public.\"events 2025\" PARTITION OF public.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
            "CREATE TABLE public.events_default PARTITION OF public.events DEFAULT;",
            "CREATE INDEX ON public.events (at);",
            "CREATE TABLE public.parent_t (id int, note text);",
            "CREATE TABLE public.\"child t\" (extra int) INHERITS (public.parent_t);",
            "CREATE VIEW \"My Schema\".\"a view\" AS SELECT * FROM \"My Schema\".\"line items\";",
            "CREATE MATERIALIZED VIEW public.\"mat view\" AS SELECT count(*) AS n FROM public.events;",
            "INSERT INTO public.\"user\" VALUES (1, NULL), (2, 1);",
            "INSERT INTO public.events SELECT g, '2025-03-01'::timestamptz + g * interval '1 hour', jsonb_build_object('g', g)"
                    + " FROM generate_series(1, 500) g;",
            "ANALYZE;");

    private SchemaFixtures() {
    }

    /**
     * @param count how many schemas
     * @return DDL creating that many schemas with a table each
     */
    static String manySchemas(int count) {
        StringBuilder sql = new StringBuilder();
        for (int i = 0; i < count; i++) {
            sql.append("CREATE SCHEMA \"s ").append(i).append("\"; CREATE TABLE \"s ").append(i)
                    .append("\".t (id int PRIMARY KEY, p int REFERENCES \"s ").append(i).append("\".t(id));\n");
        }
        return sql.toString();
    }
}
