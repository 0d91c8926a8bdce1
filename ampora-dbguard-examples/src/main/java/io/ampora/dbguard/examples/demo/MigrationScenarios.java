package io.ampora.dbguard.examples.demo;

import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.examples.demo.ConnectionScenarios.Simple;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.flywaydb.core.Flyway;

/** Runbook sections 2 (cannot migrate) and 8 (a database newer than the code). */
final class MigrationScenarios {

    /** Flyway's advisory lock key for the default history table "public"."flyway_schema_history". */
    static final long FLYWAY_LOCK_KEY = 77433833903597L;
    /** The role the deploy pipeline migrates with in {@code permission-denied}. */
    static final String CI_ROLE = "ampora_ci";

    private MigrationScenarios() {
    }

    static List<Scenario> all() {
        return List.of(
                new Simple("permission-denied", RunbookSection.CANNOT_MIGRATE, "migration-permissions",
                        "the deploy job migrates as " + CI_ROLE + ", a role without CREATE on schema public", env -> {
                            env.admin("CREATE ROLE " + CI_ROLE + " LOGIN");
                            try {
                                try (Connection c = env.openSession("postgres", null, "deploy-job"); Statement st = c.createStatement()) {
                                    st.execute("SET ROLE " + CI_ROLE);
                                    st.execute("CREATE TABLE invoices (id bigint)");
                                } catch (java.sql.SQLException e) {
                                    env.note("the migration as " + CI_ROLE + " failed: " + e.getMessage());
                                }
                                return env.guardAsApp(env.flyway().migrationRole(CI_ROLE).build()).build().report();
                            } finally {
                                env.closeSessions();
                                env.admin("DROP ROLE " + CI_ROLE);
                            }
                        }),
                new Simple("migration-lock", RunbookSection.CANNOT_MIGRATE, "migration-lock",
                        "a deploy job crashed while holding Flyway's advisory lock; the next startup would wait forever", env -> {
                            try (Statement st = env.openSession(DemoEnvironment.OWNER_ROLE, env.ownerPassword(), "Flyway by Redgate")
                                    .createStatement()) {
                                st.execute("SELECT pg_catalog.pg_advisory_lock(" + FLYWAY_LOCK_KEY + ")");
                            }
                            Thread.sleep(1_100);
                            return env.guardAsApp().set("migration-lock.failAfter", "1s").build().report();
                        }),
                new Simple("newer-schema", RunbookSection.VERSION_MISMATCH, "schema-version",
                        "the database was migrated by the next release (V5); this older build is started against it", env -> {
                            Flyway.configure().dataSource(env.jdbcUrl(), DemoEnvironment.OWNER_ROLE, env.ownerPassword())
                                    .locations(DemoEnvironment.MIGRATIONS, "classpath:io/ampora/dbguard/examples/demo/newer-release")
                                    .load().migrate();
                            try {
                                return env.guardAsApp().build().report();
                            } finally {
                                env.admin("DROP TABLE invoices; DELETE FROM flyway_schema_history WHERE version = '5'");
                            }
                        }),
                new Simple("collation-mismatch", RunbookSection.VERSION_MISMATCH, "collation-versions",
                        "the data directory was restored on an OS image whose ICU sorts differently from the one its"
                                + " indexes were built with", env -> {
                            env.admin("CREATE COLLATION german (provider = icu, locale = 'de-DE');"
                                    + " CREATE TABLE customer_names (name text COLLATE german PRIMARY KEY);"
                                    // what the restore leaves: the catalog's version is the old library's
                                    + " UPDATE pg_catalog.pg_collation SET collversion = '1.0' WHERE collname = 'german'");
                            try {
                                return env.guardAsApp().build().report();
                            } finally {
                                env.admin("DROP TABLE customer_names; DROP COLLATION german");
                            }
                        }),
                new Simple("restored-sequence", RunbookSection.VERSION_MISMATCH, "sequence-behind-data",
                        "a table was restored data-only, rows with their ids, and its sequence stayed at the start:"
                                + " the next insert collides", env -> {
                            env.admin("CREATE TABLE restored_invoices (id bigserial PRIMARY KEY, total_cents int);"
                                    + " GRANT SELECT ON restored_invoices TO " + DemoEnvironment.APP_ROLE + ";"
                                    + " GRANT USAGE ON SEQUENCE restored_invoices_id_seq TO " + DemoEnvironment.APP_ROLE + ";"
                                    + " INSERT INTO restored_invoices SELECT g, 100 FROM generate_series(1, 500) g;"
                                    + " ANALYZE restored_invoices");
                            try {
                                return env.guardAsApp().build().report();
                            } finally {
                                env.admin("DROP TABLE restored_invoices");
                            }
                        }),
                new Simple("old-extension", RunbookSection.VERSION_MISMATCH, "extension-versions",
                        "the database came through pg_upgrade and its update_extensions.sql was never run: citext is"
                                + " still at the old server's version", env -> {
                            env.admin("CREATE EXTENSION citext VERSION '1.4'");
                            try {
                                return env.guardAsApp().build().report();
                            } finally {
                                env.admin("DROP EXTENSION citext");
                            }
                        }),
                new Simple("upgrade-without-analyze", RunbookSection.VERSION_MISMATCH, "missing-statistics",
                        "the server went through pg_upgrade (before 18: no statistics carried over) and nobody ran"
                                + " vacuumdb --analyze-in-stages: the planner guesses for every table", env -> {
                            // what pg_upgrade leaves: the rows, no pg_statistic entries, activity counters at zero
                            env.admin("CREATE TABLE shipments (id bigint PRIMARY KEY, order_id bigint, carrier text)"
                                    + " WITH (autovacuum_enabled = false);"
                                    + " INSERT INTO shipments SELECT g, g, repeat('c', 40) FROM generate_series(1, 30000) g;"
                                    + " SELECT pg_catalog.pg_stat_reset_single_table_counters('shipments'::regclass);"
                                    + " ALTER TABLE shipments RESET (autovacuum_enabled);"
                                    + " GRANT SELECT ON shipments TO " + DemoEnvironment.APP_ROLE);
                            try {
                                return env.guardAsApp().build().report();
                            } finally {
                                env.admin("DROP TABLE shipments");
                            }
                        }),
                new Simple("drift", RunbookSection.CANNOT_MIGRATE, "schema-drift",
                        "someone created a table by hand in production; the next migration may collide with it", env -> {
                            try (Statement st = env.openSession(DemoEnvironment.OWNER_ROLE, env.ownerPassword(), "psql")
                                    .createStatement()) {
                                st.execute("CREATE TABLE customer_fixups (customer text PRIMARY KEY, note text)");
                            }
                            try {
                                return env.guardAsApp().build().report();
                            } finally {
                                env.admin("DROP TABLE customer_fixups");
                            }
                        }));
    }
}
