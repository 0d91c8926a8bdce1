package io.ampora.dbguard.flyway.internal;

import io.ampora.dbguard.check.Sql;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a migration step is judged on, keyed by what survives a rename: tables by oid (with their
 * relfilenode, which a rewrite changes), columns by table oid and attnum, foreign keys by oid.
 *
 * @param tables      by oid
 * @param columns     by "tableOid:attnum"
 * @param foreignKeys by oid
 */
public record SchemaState(Map<Long, Table> tables, Map<String, Column> columns, Map<Long, ForeignKey> foreignKeys) {

    /**
     * A table or view.
     *
     * @param oid      its oid
     * @param name     qualified, quoted
     * @param kind     relkind
     * @param filenode relfilenode
     */
    public record Table(long oid, String name, String kind, long filenode) {
    }

    /**
     * A column.
     *
     * @param tableOid   the table's oid
     * @param attnum     its number
     * @param name       its name, quoted as quote_ident does
     * @param type       its type as format_type writes it
     * @param notNull    NOT NULL
     * @param hasDefault a default, identity or generation expression
     * @param identity   an identity column
     * @param defaultExpr the default expression, null when none
     */
    public record Column(long tableOid, int attnum, String name, String type, boolean notNull, boolean hasDefault,
                         boolean identity, String defaultExpr) {
    }

    /**
     * A foreign key.
     *
     * @param oid       its oid
     * @param name      its name, quoted
     * @param tableOid  the referencing table
     * @param table     the referencing table's name
     * @param columns   the referencing columns, quoted, comma-separated
     * @param validated whether it is validated
     * @param indexed   whether an index serves it
     */
    public record ForeignKey(long oid, String name, long tableOid, String table, String columns, boolean validated,
                             boolean indexed) {
    }

    /**
     * Reads the state.
     *
     * @param c            a session
     * @param schemas      the schemas, empty for every user schema
     * @param historyTable the history table to leave out
     * @return the state
     * @throws SQLException when the catalogs cannot be read
     */
    public static SchemaState read(Connection c, List<String> schemas, String historyTable) throws SQLException {
        Map<Long, Table> tables = new HashMap<>();
        Map<String, Column> columns = new HashMap<>();
        Map<Long, ForeignKey> fks = new HashMap<>();
        try (ResultSet rs = query(c, "tracked-tables", schemas, historyTable)) {
            while (rs.next()) {
                tables.put(rs.getLong("oid"), new Table(rs.getLong("oid"), rs.getString("name"), rs.getString("kind"),
                        rs.getLong("filenode")));
            }
        }
        try (ResultSet rs = query(c, "tracked-columns", schemas, historyTable)) {
            while (rs.next()) {
                Column col = new Column(rs.getLong("table_oid"), rs.getInt("attnum"), rs.getString("name"),
                        rs.getString("type"), rs.getBoolean("not_null"), rs.getBoolean("has_default"),
                        rs.getBoolean("identity"), rs.getString("default_expr"));
                columns.put(col.tableOid() + ":" + col.attnum(), col);
            }
        }
        try (ResultSet rs = query(c, "tracked-foreign-keys", schemas, historyTable)) {
            while (rs.next()) {
                fks.put(rs.getLong("oid"), new ForeignKey(rs.getLong("oid"), rs.getString("name"),
                        rs.getLong("table_oid"), rs.getString("table_name"), rs.getString("columns"),
                        rs.getBoolean("validated"), rs.getBoolean("indexed")));
            }
        }
        return new SchemaState(tables, columns, fks);
    }

    private static ResultSet query(Connection c, String name, List<String> schemas, String historyTable)
            throws SQLException {
        PreparedStatement ps = c.prepareStatement(Sql.load(SchemaState.class, name));
        ps.closeOnCompletion();
        Array array = schemas.isEmpty() ? null : c.createArrayOf("text", schemas.toArray());
        ps.setString(1, historyTable);
        ps.setArray(2, array);
        ps.setArray(3, array);
        return ps.executeQuery();
    }
}
