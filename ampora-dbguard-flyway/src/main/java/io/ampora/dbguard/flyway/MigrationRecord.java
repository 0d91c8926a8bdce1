package io.ampora.dbguard.flyway;

import java.time.Duration;
import java.util.List;

/**
 * What one migration really did to the tables that existed before it, as {@link MigrationAssertions}
 * measured it on PostgreSQL: the locks its own session held (read from {@code pg_locks} before its
 * transaction ended), the rows it scanned under them, and whether it rewrote the table. Tables created
 * by the same migration are left out.
 *
 * @param script        the migration file
 * @param transactional whether Flyway ran it in one transaction (then every lock is held until it ends)
 * @param statements    its statements in order
 * @param tables        one entry per existing table it locked, scanned or rewrote
 */
public record MigrationRecord(String script, boolean transactional, List<Statement> statements, List<TableEffect> tables) {

    /** Freezes the lists. */
    public MigrationRecord {
        statements = List.copyOf(statements);
        tables = List.copyOf(tables);
    }

    /**
     * One statement.
     *
     * @param number    1-based position in the migration
     * @param sql       the statement, shortened to one line
     * @param locksSeen false for a statement PostgreSQL runs outside any transaction
     *                  ({@code CREATE INDEX CONCURRENTLY}, {@code VACUUM}): only its catalog effects are known
     * @param duration  how long it ran here
     */
    public record Statement(int number, String sql, boolean locksSeen, Duration duration) {
    }

    /**
     * What the migration did to one existing table.
     *
     * @param table          qualified, quoted
     * @param locks          the lock modes taken on it (or its indexes), as the documentation names them
     *                       ({@code SHARE}, {@code ACCESS EXCLUSIVE}...), weakest first
     * @param strongest      the strongest of them
     * @param firstStatement the statement that first took a lock blocking writes, 0 when none did
     * @param held           how long that blocking lock was held here (until the transaction ended)
     * @param rowsScanned    rows read by sequential scan while a lock blocking writes was held
     * @param rewritten      whether its relfilenode changed
     */
    public record TableEffect(String table, List<String> locks, String strongest, int firstStatement, Duration held,
                              long rowsScanned, boolean rewritten) {

        /** Freezes the list. */
        public TableEffect {
            locks = List.copyOf(locks);
        }
    }
}
