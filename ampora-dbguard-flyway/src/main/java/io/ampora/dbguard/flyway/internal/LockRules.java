package io.ampora.dbguard.flyway.internal;

import io.ampora.dbguard.flyway.MigrationRecord;
import io.ampora.dbguard.flyway.MigrationRule;
import io.ampora.dbguard.flyway.MigrationViolation;
import io.ampora.dbguard.flyway.internal.MigrationRecorder.Run;
import io.ampora.dbguard.flyway.internal.MigrationRecorder.Step;
import io.ampora.dbguard.flyway.internal.Observation.Constraint;
import io.ampora.dbguard.flyway.internal.Observation.Index;
import io.ampora.dbguard.flyway.internal.SchemaState.Column;
import io.ampora.dbguard.internal.SettingValues;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Judges one recorded migration, statement by statement, from what PostgreSQL really did to the tables
 * that existed before it: the locks its transaction held, the rows it scanned, and the catalog changes.
 */
public final class LockRules {

    private static final Pattern DROP_INDEX = Pattern.compile("(?is)^\\s*DROP\\s+INDEX\\b.*");
    private static final Pattern VACUUM = Pattern.compile("(?is)^\\s*VACUUM\\b.*");
    private static final Pattern CLUSTER = Pattern.compile("(?is)^\\s*CLUSTER\\b.*");
    private static final Pattern TRUNCATE = Pattern.compile("(?is)^\\s*TRUNCATE\\b.*");
    private static final Pattern REFRESH = Pattern.compile("(?is)^\\s*REFRESH\\s+MATERIALIZED\\b.*");
    private static final String CONCURRENT_ALONE = "in a migration of its own: Flyway runs a script holding only"
            + " CONCURRENTLY statements outside a transaction (or give it a script configuration file with"
            + " executeInTransaction=false)";

    /**
     * The violations and the record of one migration.
     *
     * @param violations what it breaks
     * @param record     what it did
     * @param rewritten  oids of the tables it rewrote (already reported)
     */
    public record Judgement(List<MigrationViolation> violations, MigrationRecord record, Set<Long> rewritten) {
    }

    private LockRules() {
    }

    /**
     * Judges a recorded migration.
     *
     * @param run                the recording
     * @param before             the schema before the migration
     * @param after              the schema after it
     * @param requireLockTimeout whether {@link MigrationRule#LOCK_TIMEOUT} applies
     * @return its violations and its record
     */
    public static Judgement judge(Run run, SchemaState before, SchemaState after, boolean requireLockTimeout) {
        List<MigrationViolation> out = new ArrayList<>();
        Set<Long> rewritten = new HashSet<>();
        Set<Long> lockTimeoutReported = new HashSet<>();
        Map<Long, Effect> effects = new TreeMap<>();
        for (Step s : run.steps()) {
            String stmt = "statement " + s.number() + " (" + MigrationRecorder.firstLine(s.sql()) + ")";
            long held = s.wrapped() || !s.inTransaction() ? s.endNanos() - s.startNanos() : run.endNanos() - s.startNanos();
            for (Long t : s.after().filenodes().keySet()) {
                String table = name(t, before, after);
                Effect e = effects.computeIfAbsent(t, k -> new Effect(table));
                long scanned = s.after().scanned().getOrDefault(t, 0L) - s.txBefore().scanned().getOrDefault(t, 0L);
                Set<String> taken = new HashSet<>();
                for (String mode : LockModes.ALL) {
                    if (s.after().locks().contains(t + ":" + mode)) {
                        e.locks.add(mode);
                        if (!s.txBefore().locks().contains(t + ":" + mode)) {
                            taken.add(mode);
                        }
                    }
                }
                String strongest = strongest(s.after(), t);
                boolean blocking = s.after().blocksWrites(t);
                if (blocking && e.firstStatement == 0) {
                    e.firstStatement = s.number();
                    e.held = held;
                }
                if (blocking) {
                    e.scanned += Math.max(0, scanned);
                }
                String evidence = evidence(strongest, table, scanned, held);
                Long oldNode = s.before().filenodes().get(t);
                if (oldNode != null && !oldNode.equals(s.after().filenodes().get(t)) && oldNode != 0) {
                    e.rewritten = true;
                    e.rewrittenIn.add(s.number());
                    rewritten.add(t);
                    String[] cause = rewriteCause(s.sql(), t, before, after);
                    out.add(new MigrationViolation(run.script(), MigrationRule.NO_TABLE_REWRITE, table,
                            "rewrites table " + table + " (relfilenode " + oldNode + " -> " + s.after().filenodes().get(t)
                                    + "): " + cause[0] + "; it holds an ACCESS EXCLUSIVE lock while the whole table is"
                                    + " copied" + (s.inTransaction() ? " (" + rowsAndTime(scanned, held) + ")" : "") + ".",
                            cause[1], stmt, table));
                }
                if (!s.inTransaction()) {
                    continue;
                }
                if (!rewritten.contains(t) || !e.rewrittenBy(s.number())) {
                    // a rewrite rebuilds the table's indexes and constraints: the rewrite is the finding
                    indexes(run.script(), s, t, table, evidence, stmt, out);
                    constraints(run.script(), s, t, table, evidence, stmt, scanned, out);
                }
                notNull(run.script(), s, t, table, evidence, stmt, scanned, out);
                if (requireLockTimeout && taken.contains("AccessExclusiveLock") && !s.lockTimeoutSet()
                        && lockTimeoutReported.add(t)) {
                    out.add(new MigrationViolation(run.script(), MigrationRule.LOCK_TIMEOUT, table,
                            "takes an ACCESS EXCLUSIVE lock on " + table + " without setting lock_timeout first: if it"
                                    + " waits behind one long transaction, every later query on " + table
                                    + " queues behind it (runbook 7).",
                            "SET lock_timeout = '5s'; as the migration's first statement, and retry the deploy when it"
                                    + " times out (FlywayGuard...safeMigrator().migrate(dataSource) does both in production)", stmt, table));
                }
            }
        }
        List<MigrationRecord.TableEffect> tables = new ArrayList<>();
        for (Effect e : effects.values()) {
            if (!e.locks.isEmpty() || e.rewritten) {
                List<String> modes = LockModes.ALL.stream().filter(e.locks::contains).toList();
                tables.add(new MigrationRecord.TableEffect(e.table, modes.stream().map(LockModes::readable).toList(),
                        modes.isEmpty() ? "" : LockModes.readable(modes.get(modes.size() - 1)), e.firstStatement,
                        Duration.ofNanos(e.held), e.scanned, e.rewritten));
            }
        }
        List<MigrationRecord.Statement> statements = run.steps().stream().map(s -> new MigrationRecord.Statement(
                s.number(), MigrationRecorder.firstLine(s.sql()), s.inTransaction(),
                Duration.ofNanos(s.endNanos() - s.startNanos()))).toList();
        return new Judgement(out, new MigrationRecord(run.script(), run.transactional(), statements, tables), rewritten);
    }

    private static void indexes(String script, Step s, long t, String table, String evidence, String stmt,
                                List<MigrationViolation> out) {
        for (Index i : s.after().indexes().values()) {
            if (i.tableOid() != t) {
                continue;
            }
            Index old = s.before().indexes().get(i.oid());
            if (old == null && backing(s.after(), i.oid()) == null) {
                out.add(new MigrationViolation(script, MigrationRule.INDEX_CONCURRENTLY, i.name(),
                        "builds index " + i.name() + " on the existing table " + table + " without CONCURRENTLY: " + evidence
                                + " for the whole build.",
                        "CREATE INDEX CONCURRENTLY " + CONCURRENT_ALONE + "; a failed build leaves an INVALID index to"
                                + " drop before retrying", stmt, table));
            } else if (old != null && old.filenode() != i.filenode() && old.filenode() != 0
                    && s.before().filenodes().getOrDefault(t, 0L).equals(s.after().filenodes().get(t))) {
                out.add(new MigrationViolation(script, MigrationRule.INDEX_CONCURRENTLY, i.name(),
                        "rebuilds index " + i.name() + " on " + table + " (REINDEX) without CONCURRENTLY: " + evidence
                                + ", and reads that use the index wait on its ACCESS EXCLUSIVE lock.",
                        "REINDEX INDEX CONCURRENTLY (PostgreSQL 12+) " + CONCURRENT_ALONE, stmt, table));
            }
        }
        if (DROP_INDEX.matcher(s.sql()).matches() && !s.sql().toUpperCase(java.util.Locale.ROOT).contains("CONCURRENTLY")) {
            for (Index i : s.before().indexes().values()) {
                if (i.tableOid() == t && !s.after().indexes().containsKey(i.oid())) {
                    out.add(new MigrationViolation(script, MigrationRule.INDEX_CONCURRENTLY, i.name(),
                            "drops index " + i.name() + " of the existing table " + table + " without CONCURRENTLY: "
                                    + evidence + ".",
                            "DROP INDEX CONCURRENTLY " + CONCURRENT_ALONE, stmt, table));
                }
            }
        }
    }

    private static void constraints(String script, Step s, long t, String table, String evidence, String stmt,
                                    long scanned, List<MigrationViolation> out) {
        for (Constraint c : s.after().constraints().values()) {
            if (c.tableOid() != t || !c.validated() || c.type().equals("f")) {
                continue;
            }
            Constraint old = s.before().constraints().get(c.oid());
            String what = switch (c.type()) {
                case "c" -> "CHECK";
                case "u" -> "UNIQUE";
                case "p" -> "PRIMARY KEY";
                default -> "EXCLUDE";
            };
            if (old == null && c.type().equals("c")) {
                out.add(new MigrationViolation(script, MigrationRule.CONSTRAINT_VALIDATION, table + "." + c.name(),
                        "adds CHECK constraint " + c.name() + " on the existing table " + table + " and validates it in"
                                + " the same step: " + evidence + " while it scans the table.",
                        "ALTER TABLE " + table + " ADD CONSTRAINT " + c.name() + " " + c.definition() + " NOT VALID; in"
                                + " one migration, then ALTER TABLE " + table + " VALIDATE CONSTRAINT " + c.name()
                                + "; in the next (it takes SHARE UPDATE EXCLUSIVE: reads and writes go on)", stmt, table));
            } else if (old == null && !s.before().indexes().containsKey(c.indexOid())) {
                boolean exclude = c.type().equals("x");
                out.add(new MigrationViolation(script, MigrationRule.CONSTRAINT_VALIDATION, table + "." + c.name(),
                        "adds " + what + " constraint " + c.name() + " on the existing table " + table + ", building its"
                                + " index and checking every row in the same step: " + evidence + ".",
                        exclude ? "PostgreSQL has no online way to add an EXCLUDE constraint: build it on a new table and"
                                + " move the rows over, or run it in a maintenance window and allow it"
                                : "CREATE UNIQUE INDEX CONCURRENTLY " + c.name() + "_idx ON " + table + " (...) "
                                + CONCURRENT_ALONE + ", then ALTER TABLE " + table + " ADD CONSTRAINT " + c.name() + " "
                                + what + " USING INDEX " + c.name() + "_idx (instant)"
                                + (c.type().equals("p") ? "; its columns must already be NOT NULL (see SET NOT NULL)" : ""),
                        stmt, table));
            } else if (old != null && !old.validated() && s.txBefore().blocksWrites(t) && c.type().equals("c")) {
                out.add(new MigrationViolation(script, MigrationRule.CONSTRAINT_VALIDATION, table + "." + c.name(),
                        "validates CHECK constraint " + c.name() + " on " + table + " in the transaction that added it:"
                                + " the lock taken to add it (" + LockModes.readable(strongest(s.txBefore(), t))
                                + ") is still held while it scans " + Math.max(0, scanned) + " rows.",
                        "VALIDATE CONSTRAINT in a later migration than the one adding it NOT VALID", stmt, table));
            }
        }
    }

    private static void notNull(String script, Step s, long t, String table, String evidence, String stmt, long scanned,
                                List<MigrationViolation> out) {
        boolean addsPrimaryKey = s.after().constraints().values().stream()
                .anyMatch(c -> c.tableOid() == t && c.type().equals("p") && !s.before().constraints().containsKey(c.oid()));
        for (Map.Entry<String, String> col : s.after().notNull().entrySet()) {
            String key = col.getKey();
            if (!key.startsWith(t + ":") || s.before().notNull().containsKey(key) || !s.before().columns().containsKey(key)
                    || addsPrimaryKey) {
                continue;
            }
            String column = col.getValue();
            Pattern check = Pattern.compile("(?i)^CHECK \\(+" + Pattern.quote(column) + " IS NOT NULL\\)+$");
            boolean proven = s.before().constraints().values().stream().anyMatch(c -> c.tableOid() == t
                    && c.type().equals("c") && c.validated() && check.matcher(c.definition()).matches());
            if (proven && scanned <= 0) {
                continue;
            }
            String constraint = table.substring(table.indexOf('.') + 1).replace("\"", "") + "_" + column.replace("\"", "")
                    + "_not_null";
            out.add(new MigrationViolation(script, MigrationRule.SET_NOT_NULL, table + "." + column,
                    "sets NOT NULL on " + table + "." + column + " without a validated CHECK (" + column
                            + " IS NOT NULL) first: " + evidence + " while it scans every row.",
                    "ALTER TABLE " + table + " ADD CONSTRAINT " + constraint + " CHECK (" + column + " IS NOT NULL) NOT"
                            + " VALID; then, in a later migration, ALTER TABLE " + table + " VALIDATE CONSTRAINT "
                            + constraint + "; then ALTER TABLE " + table + " ALTER COLUMN " + column + " SET NOT NULL;"
                            + " (PostgreSQL 12+ skips the scan) and DROP CONSTRAINT " + constraint, stmt, table));
        }
    }

    private static Constraint backing(Observation o, long indexOid) {
        return o.constraints().values().stream().filter(c -> c.indexOid() == indexOid && !c.type().equals("f"))
                .findFirst().orElse(null);
    }

    private static String strongest(Observation o, long t) {
        String best = "";
        for (String mode : LockModes.ALL) {
            if (o.locks().contains(t + ":" + mode)) {
                best = mode;
            }
        }
        return best;
    }

    private static String evidence(String mode, String table, long scanned, long heldNanos) {
        if (mode.isEmpty()) {
            return "it blocks " + table;
        }
        return "it holds " + LockModes.withArticle(mode) + " lock on " + table + " (blocks " + LockModes.blocks(mode)
                + "; " + rowsAndTime(scanned, heldNanos) + ")";
    }

    private static String rowsAndTime(long scanned, long heldNanos) {
        return Math.max(0, scanned) + " rows scanned, held " + SettingValues.format(Duration.ofNanos(heldNanos))
                + " in this test";
    }

    private static String name(long oid, SchemaState before, SchemaState after) {
        SchemaState.Table t = after.tables().get(oid);
        if (t == null) {
            t = before.tables().get(oid);
        }
        return t == null ? "oid " + oid : t.name();
    }

    private static String[] rewriteCause(String sql, long t, SchemaState before, SchemaState after) {
        if (VACUUM.matcher(sql).matches()) {
            return new String[] {"VACUUM FULL copies it",
                    "plain VACUUM (no rewrite, no blocking lock); to shrink a bloated table use pg_repack or pg_squeeze,"
                            + " outside migrations"};
        }
        if (CLUSTER.matcher(sql).matches()) {
            return new String[] {"CLUSTER copies it in index order",
                    "leave the physical order alone, or use pg_repack --order-by outside migrations"};
        }
        if (TRUNCATE.matcher(sql).matches()) {
            return new String[] {"TRUNCATE empties it", "delete rows in batches, or keep TRUNCATE out of migrations"};
        }
        if (REFRESH.matcher(sql).matches()) {
            return new String[] {"REFRESH MATERIALIZED VIEW without CONCURRENTLY",
                    "REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index on the view)"};
        }
        for (Column old : before.columns().values()) {
            Column now = after.columns().get(old.tableOid() + ":" + old.attnum());
            if (old.tableOid() == t && now != null && !now.type().equals(old.type())) {
                return new String[] {"the type change of column " + now.name() + " from " + old.type() + " to "
                        + now.type(), "add a column of the new type, backfill it in batches, switch the code over and"
                        + " drop the old column later (expand then contract)"};
            }
        }
        for (Column now : after.columns().values()) {
            if (now.tableOid() != t || before.columns().containsKey(now.tableOid() + ":" + now.attnum())) {
                continue;
            }
            if (now.identity() || (now.defaultExpr() != null && now.defaultExpr().contains("nextval("))) {
                return new String[] {"the new " + (now.identity() ? "identity" : "serial") + " column " + now.name()
                        + " (every existing row gets its own value)", "add a nullable bigint column, give it a sequence"
                        + " DEFAULT afterwards (new rows only) and backfill the old rows in batches"};
            }
            if (now.defaultExpr() != null) {
                return new String[] {"the new column " + now.name() + " with the volatile default " + now.defaultExpr()
                        + " (every existing row gets its own value)", "add the column without a default (or with a"
                        + " constant one: no rewrite since PostgreSQL 11), SET DEFAULT in the same migration for new rows,"
                        + " and backfill the old rows in batches"};
            }
        }
        return new String[] {"an ALTER TABLE form that copies the table (SET LOGGED/UNLOGGED, SET ACCESS METHOD, ...)",
                "add a new column, backfill it in batches and switch over (expand then contract); keep type changes"
                        + " that rewrite, VACUUM FULL and CLUSTER out of migrations"};
    }

    private static final class Effect {
        final String table;
        final Set<String> locks = new HashSet<>();
        int firstStatement;
        long held;
        long scanned;
        boolean rewritten;
        final Set<Integer> rewrittenIn = new HashSet<>();

        Effect(String table) {
            this.table = table;
        }

        boolean rewrittenBy(int statement) {
            return rewrittenIn.contains(statement);
        }
    }
}
