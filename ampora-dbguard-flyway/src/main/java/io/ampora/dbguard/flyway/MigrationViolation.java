package io.ampora.dbguard.flyway;

/**
 * One thing a migration does that breaks a {@link MigrationRule}.
 *
 * @param script    the migration file, e.g. {@code V3__drop_legacy.sql}
 * @param rule      the rule it breaks
 * @param object    the object concerned, qualified and quoted, e.g. {@code public.customers.legacy_code}
 * @param reason    what the migration does and why it hurts (with the lock and the evidence when measured)
 * @param advice    the safe pattern to use instead
 * @param statement the statement that did it, shortened to one line, when it can be told (else null)
 * @param table     the existing table it concerns, qualified and quoted (else null: derived from the object)
 */
public record MigrationViolation(String script, MigrationRule rule, String object, String reason, String advice,
                                 String statement, String table) {

    /**
     * A violation judged from the schema before and after the whole migration (no statement named).
     *
     * @param script the migration file
     * @param rule   the rule
     * @param object the object
     * @param reason what it does
     * @param advice the safe pattern
     */
    public MigrationViolation(String script, MigrationRule rule, String object, String reason, String advice) {
        this(script, rule, object, reason, advice, null, null);
    }

    /**
     * The same violation with a note appended to its reason (e.g. the table's production size).
     *
     * @param note the note
     * @return the copy
     */
    public MigrationViolation withNote(String note) {
        return new MigrationViolation(script, rule, object, reason + " " + note, advice, statement, table);
    }

    /** @return one readable line: file, reason, statement, the safe pattern and how to allow it */
    public String message() {
        return script + ": " + reason + (statement == null ? "" : " Statement: " + statement + ".") + " Safe pattern: "
                + advice + (advice.endsWith(".") ? "" : ".") + " If it is intended, allow it with .allow(\"" + script + "\", MigrationRule." + rule.name()
                + ").";
    }
}
