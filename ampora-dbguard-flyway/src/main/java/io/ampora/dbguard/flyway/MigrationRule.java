package io.ampora.dbguard.flyway;

/**
 * The rules {@link MigrationAssertions} holds every migration to, so that it can run while the previous
 * release still serves traffic. A migration may be exempted from some or all of them with
 * {@link MigrationAssertions#allow(String, MigrationRule...)}.
 */
public enum MigrationRule {
    /**
     * The previous release's code keeps working: no table or column is dropped or renamed, no column
     * type changes, no NOT NULL column arrives without a default.
     */
    BACKWARD_COMPATIBLE,
    /**
     * No existing table is rewritten (its {@code pg_class.relfilenode} changes): a rewrite holds an
     * ACCESS EXCLUSIVE lock for as long as copying the table takes.
     */
    NO_TABLE_REWRITE,
    /**
     * Every new foreign key is served by an index on its columns, and is not validated on an existing
     * table in the same step that adds it.
     */
    FOREIGN_KEY_SAFE
}
