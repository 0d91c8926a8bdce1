package io.ampora.dbguard.rls;

import java.util.regex.Pattern;

/**
 * Decides whether a tenant id may be bound to a transaction. Runs before any SQL, so a malformed id
 * never reaches the database. The id is always sent as a bind parameter, never spliced into SQL, so
 * validation is defence in depth and a place to enforce the id format your policies expect.
 */
@FunctionalInterface
public interface TenantIdValidator {

    /**
     * Checks one id.
     *
     * @param tenantId the id, never {@code null}
     * @throws InvalidTenantIdException when the id is not acceptable, saying what is allowed
     */
    void validate(String tenantId);

    /**
     * The default: a UUID in its canonical 36-character form ({@code 8-4-4-4-12} hexadecimal digits,
     * either case), which is what a {@code uuid} tenant column accepts.
     *
     * @return the validator
     */
    static TenantIdValidator uuid() {
        return id -> {
            if (!isCanonicalUuid(id)) {
                throw new InvalidTenantIdException("tenant id of length " + id.length()
                        + " is not a canonical UUID (8-4-4-4-12 hexadecimal digits): fix the caller, or configure"
                        + " TenantDataSource.builder(...).validator(...) for another id format");
            }
        };
    }

    /**
     * Accepts ids that match a regular expression entirely and are at most {@code maxLength} characters.
     *
     * @param regex     the pattern the whole id must match, e.g. {@code [a-z0-9-]{1,64}}
     * @param maxLength the longest id accepted, checked before the pattern
     * @return the validator
     */
    static TenantIdValidator matching(Pattern regex, int maxLength) {
        return id -> {
            if (id.length() > maxLength) {
                throw new InvalidTenantIdException("tenant id of length " + id.length() + " is longer than "
                        + maxLength + " characters");
            }
            if (!regex.matcher(id).matches()) {
                throw new InvalidTenantIdException("tenant id of length " + id.length()
                        + " does not match the configured pattern " + regex.pattern());
            }
        };
    }

    /**
     * Accepts any text PostgreSQL can store (no NUL character), non-empty and at most
     * {@code maxLength} characters: for text tenant keys that are not UUIDs.
     *
     * @param maxLength the longest id accepted
     * @return the validator
     */
    static TenantIdValidator anyText(int maxLength) {
        return id -> {
            if (id.isEmpty() || id.length() > maxLength) {
                throw new InvalidTenantIdException("tenant id of length " + id.length()
                        + " is empty or longer than " + maxLength + " characters");
            }
            if (id.indexOf('\0') >= 0) {
                throw new InvalidTenantIdException("tenant id contains a NUL character, which PostgreSQL text"
                        + " cannot hold");
            }
        };
    }

    /**
     * Whether a text is a UUID in its canonical form: 36 characters, hexadecimal digits (either case) in groups of
     * 8-4-4-4-12 separated by dashes. Written out instead of a regular expression: the tenant binding validates the id
     * once per transaction, and the pattern's matcher took about a fifth of the CPU the composed JDBC hooks add to
     * a transaction on PostgreSQL ({@code docs/design/rls.md}, "Session 14").
     *
     * @param id the text
     * @return whether it is a canonical UUID
     */
    private static boolean isCanonicalUuid(String id) {
        if (id.length() != 36) {
            return false;
        }
        for (int i = 0; i < 36; i++) {
            char c = id.charAt(i);
            boolean ok = i == 8 || i == 13 || i == 18 || i == 23 ? c == '-'
                    : (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
