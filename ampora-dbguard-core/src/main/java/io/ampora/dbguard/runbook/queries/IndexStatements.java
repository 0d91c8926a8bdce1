package io.ampora.dbguard.runbook.queries;

/** Builds the {@code CREATE INDEX} statements the query checks propose, from names already quoted by SQL. */
final class IndexStatements {

    private IndexStatements() {
    }

    /**
     * The statement creating an index; PostgreSQL picks the index name.
     *
     * @param quotedTable   {@code schema.table}, each part already quoted with {@code format('%I')}
     * @param method        {@code ""} for btree, or e.g. {@code "gin"}
     * @param quotedColumns the column list, each already quoted
     * @param partitioned   whether the table is partitioned: CONCURRENTLY is not allowed there
     * @return the statement, ending with a semicolon, plus advice for partitioned tables
     */
    static String createIndex(String quotedTable, String method, String quotedColumns, boolean partitioned) {
        String using = method.isEmpty() ? "" : " USING " + method;
        if (partitioned) {
            return "CREATE INDEX ON " + quotedTable + using + " (" + quotedColumns + ");"
                    + " (partitioned table: CONCURRENTLY is not supported and this blocks writes while it builds;"
                    + " to avoid that, create it ON ONLY the parent, build each partition's index CONCURRENTLY"
                    + " and ALTER INDEX ... ATTACH PARTITION it)";
        }
        return "CREATE INDEX CONCURRENTLY ON " + quotedTable + using + " (" + quotedColumns + ");";
    }
}
