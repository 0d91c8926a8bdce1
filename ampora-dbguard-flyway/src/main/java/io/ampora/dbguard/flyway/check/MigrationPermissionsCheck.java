package io.ampora.dbguard.flyway.check;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.flyway.FlywayGuard;
import io.ampora.dbguard.flyway.internal.FlywayReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Runbook 2: "permission denied for schema public". Predicts, before migrating, whether the role that
 * migrates (the session's {@code current_user}, or {@link FlywayGuard#migrationRole()}) can create and
 * alter objects where migrations run: {@code USAGE} and {@code CREATE} on each schema
 * ({@code has_schema_privilege}), {@code CREATE} on the database for schemas Flyway would create, write
 * access to the history table and ownership of the existing tables. PostgreSQL 15 no longer grants
 * {@code CREATE} on {@code public} to everyone, so a fresh database fails here for any role but its owner.
 * The remediation gives the exact {@code GRANT} and {@code ALTER ... OWNER} statements.
 */
public final class MigrationPermissionsCheck implements DatabaseCheck {

    private final FlywayGuard config;

    /**
     * @param config where the application's migrations run
     */
    public MigrationPermissionsCheck(FlywayGuard config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    @Override
    public String id() {
        return "migration-permissions";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.CANNOT_MIGRATE;
    }

    @Override
    public String description() {
        return "Whether the migrating role may create and alter objects in the migration schemas (GRANTs to fix it).";
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        Connection c = context.connection();
        String historySchema = FlywayReader.historySchema(config, c);
        List<String> schemas = config.schemas().isEmpty() ? List.of(historySchema) : config.schemas();
        String role = null;
        CheckResult.Builder result = CheckResult.builder(this);
        List<String> fixes = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(Sql.load(MigrationPermissionsCheck.class, id()))) {
            ps.setString(1, config.migrationRole().orElse(null));
            ps.setArray(2, c.createArrayOf("text", schemas.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    role = rs.getString("role_name");
                    if (rs.getBoolean("superuser")) {
                        return CheckResult.pass(this, "Role " + role + " is a superuser: it may migrate anything.");
                    }
                    String schema = rs.getString("schema_name");
                    if (!rs.getBoolean("schema_exists")) {
                        if (!rs.getBoolean("can_create_schema")) {
                            result.atLeast(CheckStatus.FAIL).finding(Finding.builder("Schema " + schema + " does not exist"
                                            + " and role " + role + " may not create it (no CREATE on database "
                                            + context.facts().database() + "): flyway migrate fails creating it.")
                                    .detail("schema", schema).detail("role", role)
                                    .detail("grant", rs.getString("database_grant")).build());
                            fixes.add(rs.getString("database_grant") + ";");
                        }
                        continue;
                    }
                    boolean use = rs.getBoolean("can_use");
                    boolean create = rs.getBoolean("can_create");
                    if (!use || !create) {
                        String missing = !use && !create ? "USAGE and CREATE" : !use ? "USAGE" : "CREATE";
                        result.atLeast(CheckStatus.FAIL).finding(Finding.builder("Role " + role + " lacks " + missing
                                        + " on schema " + schema + " (owned by " + rs.getString("schema_owner") + "):"
                                        + " migrations fail with \"permission denied for schema " + schema + "\""
                                        + ("public".equals(schema) ? "; PostgreSQL 15 and later no longer grant CREATE on"
                                        + " public to every role" : "") + ".")
                                .detail("schema", schema).detail("role", role)
                                .detail("missing", missing)
                                .detail("grant", rs.getString("schema_grant")).build());
                        fixes.add(rs.getString("schema_grant") + ";");
                    }
                }
            }
        }
        checkOwners(c, role, historySchema, schemas, result, fixes);
        if (result.status() == CheckStatus.PASS) {
            return result.summary("Role " + role + " may create and alter objects in " + String.join(", ", schemas) + ".")
                    .build();
        }
        return result.summary("Role " + role + " cannot run every migration in " + String.join(", ", schemas) + ".")
                .remediation("As the database owner or a superuser, run: " + String.join(" ", fixes)
                        + " (or migrate as the role that owns the schema).")
                .build();
    }

    private void checkOwners(Connection c, String role, String historySchema, List<String> schemas,
                             CheckResult.Builder result, List<String> fixes) throws Exception {
        List<String> objects = new ArrayList<>();
        long total = 0;
        try (PreparedStatement ps = c.prepareStatement(Sql.load(MigrationPermissionsCheck.class, id() + "-owners"))) {
            ps.setString(1, config.migrationRole().orElse(null));
            ps.setString(2, historySchema);
            ps.setString(3, config.table());
            ps.setArray(4, c.createArrayOf("text", schemas.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    total = rs.getLong("total");
                    String object = rs.getString("object_name");
                    if (rs.getBoolean("is_history") && !rs.getBoolean("writable")) {
                        result.atLeast(CheckStatus.FAIL).finding(Finding.builder("The history table " + object
                                        + " is owned by " + rs.getString("owner") + " and role " + role
                                        + " cannot write it: Flyway cannot record migrations.")
                                .detail("table", object).detail("owner", rs.getString("owner"))
                                .detail("fix", rs.getString("fix")).build());
                        fixes.add(rs.getString("fix") + ";");
                        continue;
                    }
                    objects.add(object + " (owner " + rs.getString("owner") + ")");
                    fixes.add(rs.getString("fix") + ";");
                }
            }
        }
        if (!objects.isEmpty()) {
            result.atLeast(CheckStatus.WARN).finding(Finding.builder(total + " relations in the migration schemas are"
                            + " not owned by role " + role + ": a migration that alters or drops them fails with \"must be"
                            + " owner of table\": " + String.join(", ", objects) + (total > objects.size() ? ", ..." : "")
                            + ".")
                    .detail("role", role).detail("notOwned", total).build());
        }
    }

    /** Judged against this instance's migrations: during a rolling deploy instances differ. */
    @Override
    public CheckScope scope() {
        return CheckScope.INSTANCE;
    }

    @Override
    public CheckCost cost() {
        return CheckCost.NORMAL;
    }
}
