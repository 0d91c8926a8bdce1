package io.ampora.dbguard.flyway;

/**
 * The rules {@link MigrationAssertions} holds every migration to, so that it can run while the previous
 * release still serves traffic. A migration may be exempted from some or all of them with
 * {@link MigrationAssertions#allow(String, MigrationRule...)}. The lock rules are judged from what
 * PostgreSQL really did: the locks the migration's own session held before its transaction ended
 * ({@code pg_locks}), the rows it scanned ({@code pg_stat_xact_all_tables}) and the catalogs after each
 * statement; tables created by the same migration are exempt.
 */
public enum MigrationRule {
    /**
     * The previous release's code keeps working: no table or column is dropped or renamed, no column
     * type changes, no NOT NULL column arrives without a default.
     */
    BACKWARD_COMPATIBLE,
    /**
     * No existing table is rewritten (its {@code pg_class.relfilenode} changes): a rewrite holds an
     * ACCESS EXCLUSIVE lock for as long as copying the table takes. The message names the cause (type
     * change, volatile default, new serial/identity column, {@code VACUUM FULL}, {@code CLUSTER}...).
     */
    NO_TABLE_REWRITE,
    /**
     * Every new foreign key is served by an index on its columns, and is not validated on an existing
     * table in the same step that adds it.
     */
    FOREIGN_KEY_SAFE,
    /**
     * Indexes on existing tables are built, dropped and rebuilt {@code CONCURRENTLY}: a plain
     * {@code CREATE INDEX} or {@code REINDEX} holds a SHARE lock (no writes) for the whole build, a plain
     * {@code DROP INDEX} an ACCESS EXCLUSIVE lock.
     */
    INDEX_CONCURRENTLY,
    /**
     * CHECK, UNIQUE, PRIMARY KEY and EXCLUDE constraints are not built or validated on an existing table
     * in the step that adds them (under its blocking lock): CHECK via {@code NOT VALID} then
     * {@code VALIDATE CONSTRAINT} in a later migration, UNIQUE / PRIMARY KEY via
     * {@code CREATE UNIQUE INDEX CONCURRENTLY} then {@code ADD CONSTRAINT ... USING INDEX}.
     */
    CONSTRAINT_VALIDATION,
    /**
     * {@code SET NOT NULL} on a column of an existing table comes after a validated
     * {@code CHECK (col IS NOT NULL)}, so that PostgreSQL (12+) skips the scan under ACCESS EXCLUSIVE.
     */
    SET_NOT_NULL,
    /**
     * A migration that takes an ACCESS EXCLUSIVE lock on an existing table sets {@code lock_timeout}
     * first: waiting for that lock behind one long transaction makes every later query on the table queue
     * behind the migration. A stricter policy; switch it off with
     * {@link MigrationAssertions#requireLockTimeout(boolean)}.
     */
    LOCK_TIMEOUT
}
