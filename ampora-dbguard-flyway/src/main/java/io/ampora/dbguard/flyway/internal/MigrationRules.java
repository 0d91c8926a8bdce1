package io.ampora.dbguard.flyway.internal;

import io.ampora.dbguard.flyway.MigrationRule;
import io.ampora.dbguard.flyway.MigrationViolation;
import io.ampora.dbguard.flyway.internal.SchemaState.Column;
import io.ampora.dbguard.flyway.internal.SchemaState.ForeignKey;
import io.ampora.dbguard.flyway.internal.SchemaState.Table;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Judges one migration step by the schema state before and after it. */
public final class MigrationRules {

    private static final String EXPAND_CONTRACT = "expand then contract: add the new shape beside the old one, let"
            + " the code use both for one release, and remove the old shape in a later migration.";

    private MigrationRules() {
    }

    /**
     * Compares the states around one step.
     *
     * @param script the migration file
     * @param before the state before
     * @param after  the state after
     * @param rewritesReported the tables whose rewrite the statement-level record already reported
     * @return what the step breaks, in a stable order
     */
    public static List<MigrationViolation> judge(String script, SchemaState before, SchemaState after,
                                                 java.util.Set<Long> rewritesReported) {
        List<MigrationViolation> out = new ArrayList<>();
        for (Table old : before.tables().values()) {
            Table now = after.tables().get(old.oid());
            if (now == null) {
                out.add(new MigrationViolation(script, MigrationRule.BACKWARD_COMPATIBLE, old.name(),
                        "drops " + noun(old) + " " + old.name() + ", which the previous release still uses.",
                        "stop using it in one release, drop it in the next (" + EXPAND_CONTRACT + ")"));
                continue;
            }
            if (!now.name().equals(old.name())) {
                out.add(new MigrationViolation(script, MigrationRule.BACKWARD_COMPATIBLE, old.name(),
                        "renames " + noun(old) + " " + old.name() + " to " + now.name()
                                + ": the previous release still queries " + old.name() + ".",
                        "create the new table (or a view named " + now.name() + "), write to both, and drop the old"
                                + " name later (" + EXPAND_CONTRACT + ")"));
            }
            if ((old.kind().equals("r") || old.kind().equals("m")) && now.filenode() != old.filenode()
                    && !rewritesReported.contains(old.oid())) {
                out.add(new MigrationViolation(script, MigrationRule.NO_TABLE_REWRITE, now.name(),
                        "rewrites table " + now.name() + " (relfilenode " + old.filenode() + " -> " + now.filenode()
                                + "): it holds an ACCESS EXCLUSIVE lock while the whole table is copied.",
                        "add a new column, backfill it in batches and switch over (" + EXPAND_CONTRACT + "); avoid"
                                + " type changes that rewrite, VACUUM FULL and CLUSTER in migrations"));
            }
        }
        for (Column old : before.columns().values()) {
            Table table = after.tables().get(old.tableOid());
            if (table == null) {
                continue;
            }
            String name = table.name() + "." + old.name();
            Column now = after.columns().get(old.tableOid() + ":" + old.attnum());
            if (now == null) {
                out.add(new MigrationViolation(script, MigrationRule.BACKWARD_COMPATIBLE, name,
                        "drops column " + name + ", which the previous release still reads and writes.",
                        "stop using the column in one release, drop it in the next (" + EXPAND_CONTRACT + ")"));
                continue;
            }
            if (!now.name().equals(old.name())) {
                out.add(new MigrationViolation(script, MigrationRule.BACKWARD_COMPATIBLE, name,
                        "renames column " + name + " to " + now.name() + ": the previous release still uses "
                                + old.name() + ".",
                        "add the new column, write both and backfill, then drop the old one later (" + EXPAND_CONTRACT + ")"));
            }
            if (!now.type().equals(old.type())) {
                out.add(new MigrationViolation(script, MigrationRule.BACKWARD_COMPATIBLE, name,
                        "changes the type of column " + name + " from " + old.type() + " to " + now.type()
                                + ": the previous release reads and binds the old type.",
                        "add a column of the new type, backfill it, switch the code, drop the old column later ("
                                + EXPAND_CONTRACT + ")"));
            }
        }
        for (Column now : after.columns().values()) {
            Table table = before.tables().get(now.tableOid());
            if (table == null || before.columns().containsKey(now.tableOid() + ":" + now.attnum())) {
                continue;
            }
            if (now.notNull() && !now.hasDefault()) {
                String name = after.tables().get(now.tableOid()).name() + "." + now.name();
                out.add(new MigrationViolation(script, MigrationRule.BACKWARD_COMPATIBLE, name,
                        "adds NOT NULL column " + name + " without a default: inserts from the previous release,"
                                + " which does not know the column, fail (and the migration fails on a non-empty table).",
                        "add the column nullable or with a DEFAULT, backfill, then SET NOT NULL in a later migration"
                                + " (through a CHECK (... IS NOT NULL) NOT VALID constraint, then VALIDATE)"));
            }
        }
        for (ForeignKey fk : after.foreignKeys().values()) {
            if (before.foreignKeys().containsKey(fk.oid())) {
                continue;
            }
            String name = fk.table() + "." + fk.name();
            if (!fk.indexed()) {
                out.add(new MigrationViolation(script, MigrationRule.FOREIGN_KEY_SAFE, name,
                        "adds foreign key " + name + " on " + fk.table() + " (" + fk.columns() + ") without an index:"
                                + " deletes and updates of the referenced rows scan " + fk.table() + ".",
                        "CREATE INDEX CONCURRENTLY ON " + fk.table() + " (" + fk.columns() + ") in a migration of its"
                                + " own (non-transactional), before or with the foreign key"));
            }
            if (fk.validated() && before.tables().containsKey(fk.tableOid())) {
                out.add(new MigrationViolation(script, MigrationRule.FOREIGN_KEY_SAFE, name,
                        "adds and validates foreign key " + name + " on the existing table " + fk.table()
                                + " in one step: it scans the table while blocking writes to both tables.",
                        "ALTER TABLE ... ADD CONSTRAINT ... NOT VALID in one migration, then ALTER TABLE ... VALIDATE"
                                + " CONSTRAINT in the next"));
            }
        }
        out.sort(Comparator.comparing((MigrationViolation v) -> v.rule().ordinal()).thenComparing(MigrationViolation::object)
                .thenComparing(MigrationViolation::reason));
        return out;
    }

    private static String noun(Table t) {
        return t.kind().equals("v") ? "view" : t.kind().equals("m") ? "materialized view" : "table";
    }
}
