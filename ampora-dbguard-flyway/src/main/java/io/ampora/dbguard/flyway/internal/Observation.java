package io.ampora.dbguard.flyway.internal;

import io.ampora.dbguard.check.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What the migrating session has done so far to the tables that existed before its migration, read on
 * that very session before its transaction ends ({@code migration-observation.sql}).
 *
 * @param locks       relation locks its transaction holds on each table, "tableOid:mode"
 * @param scanned     rows read by sequential scan in its transaction, by table oid
 * @param filenodes   relfilenode by table oid
 * @param indexes     indexes of those tables by index oid
 * @param constraints constraints of those tables by oid
 * @param notNull     "tableOid:attnum" -> column name, for NOT NULL columns
 * @param columns     "tableOid:attnum" -> column name, for every column
 * @param lockTimeout the session's lock_timeout as SHOW prints it
 */
public record Observation(Set<String> locks, Map<Long, Long> scanned, Map<Long, Long> filenodes,
                          Map<Long, Index> indexes, Map<Long, Constraint> constraints, Map<String, String> notNull,
                          Map<String, String> columns, String lockTimeout) {

    /** Nothing seen: the baseline of a transaction that has not started. */
    static final Observation EMPTY = new Observation(Set.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of(),
            Map.of(), "0");

    /**
     * An index.
     *
     * @param oid      its oid
     * @param tableOid its table
     * @param name     qualified, quoted
     * @param filenode its relfilenode (REINDEX changes it)
     * @param valid    indisvalid
     */
    public record Index(long oid, long tableOid, String name, long filenode, boolean valid) {
    }

    /**
     * A constraint.
     *
     * @param oid       its oid
     * @param tableOid  its table
     * @param type      contype: c, f, p, u, x
     * @param name      quoted
     * @param definition pg_get_constraintdef
     * @param indexOid  the index behind it (conindid), 0 when none
     * @param validated convalidated
     */
    public record Constraint(long oid, long tableOid, String type, String name, String definition, long indexOid,
                             boolean validated) {
    }

    /**
     * Reads the observation on the migrating session.
     *
     * @param c      the migrating session (not a proxy: this must not be recorded itself)
     * @param tables the oids of the tables that existed before the migration
     * @return what it saw
     * @throws SQLException when it cannot be read
     */
    static Observation read(Connection c, Collection<Long> tables) throws SQLException {
        Set<String> locks = new HashSet<>();
        Map<Long, Long> scanned = new HashMap<>();
        Map<Long, Long> filenodes = new HashMap<>();
        Map<Long, Index> indexes = new HashMap<>();
        Map<Long, Constraint> constraints = new HashMap<>();
        Map<String, String> notNull = new HashMap<>();
        Map<String, String> columns = new HashMap<>();
        String lockTimeout = "0";
        try (PreparedStatement ps = c.prepareStatement(Sql.load(Observation.class, "migration-observation"))) {
            ps.setArray(1, c.createArrayOf("bigint", tables.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long oid = rs.getLong("oid");
                    long rel = rs.getLong("rel");
                    String detail = rs.getString("detail");
                    long n = rs.getLong("n");
                    boolean flag = rs.getBoolean("flag");
                    switch (rs.getString("kind")) {
                        case "lock" -> locks.add(rel + ":" + detail);
                        case "scan" -> scanned.put(oid, n);
                        case "filenode" -> filenodes.put(oid, n);
                        case "index" -> indexes.put(oid, new Index(oid, rel, detail, n, flag));
                        case "constraint" -> constraints.put(oid, new Constraint(oid, rel, detail.substring(0, 1),
                                detail.substring(2), rs.getString("def"), n, flag));
                        case "notnull" -> {
                            columns.put(rel + ":" + oid, detail);
                            if (flag) {
                                notNull.put(rel + ":" + oid, detail);
                            }
                        }
                        default -> lockTimeout = detail;
                    }
                }
            }
        }
        return new Observation(locks, scanned, filenodes, indexes, constraints, notNull, columns, lockTimeout);
    }

    /**
     * Whether the transaction holds a lock on the table that blocks writes (SHARE or stronger).
     *
     * @param tableOid the table
     * @return true when it does
     */
    boolean blocksWrites(long tableOid) {
        return LockModes.WRITE_BLOCKING.stream().anyMatch(m -> locks.contains(tableOid + ":" + m));
    }
}
