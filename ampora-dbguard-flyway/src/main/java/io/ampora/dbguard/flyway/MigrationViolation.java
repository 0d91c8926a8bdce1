package io.ampora.dbguard.flyway;

/**
 * One thing a migration does that breaks a {@link MigrationRule}.
 *
 * @param script the migration file, e.g. {@code V3__drop_legacy.sql}
 * @param rule   the rule it breaks
 * @param object the object concerned, qualified and quoted, e.g. {@code public.customers.legacy_code}
 * @param reason what the migration does and why it hurts
 * @param advice the safe pattern to use instead
 */
public record MigrationViolation(String script, MigrationRule rule, String object, String reason, String advice) {

    /** @return one readable line: file, object, reason and the safe pattern */
    public String message() {
        return script + ": " + reason + " Safe pattern: " + advice + " If it is intended, allow it with .allow(\""
                + script + "\", MigrationRule." + rule.name() + ").";
    }
}
