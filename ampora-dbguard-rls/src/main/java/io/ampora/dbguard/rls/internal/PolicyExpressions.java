package io.ampora.dbguard.rls.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads policy expressions as {@code pg_get_expr} prints them and finds reads of the tenant setting that
 * would turn {@code ''} into "no rows": a {@code current_setting('app.tenant_id'[, true])} call that is
 * neither wrapped in {@code NULLIF(..., '')} nor cast to a type that rejects {@code ''} (uuid, integer, ...).
 * On a pooled connection an unset custom setting reads as {@code ''}, so comparing it to a text column
 * matches nothing, silently.
 */
public final class PolicyExpressions {

    private static final Set<String> TEXT_TYPES = Set.of("text", "character varying", "varchar", "name",
            "bpchar", "character", "citext");

    private PolicyExpressions() {
    }

    /**
     * Finds the unsafe reads of a setting in one expression.
     *
     * @param expression the policy's USING or WITH CHECK expression, may be null
     * @param setting    the tenant setting, e.g. {@code app.tenant_id}
     * @return the offending calls as they appear in the expression; empty when none
     */
    public static List<String> unsafeTenantReads(String expression, String setting) {
        List<String> unsafe = new ArrayList<>();
        if (expression == null) {
            return unsafe;
        }
        String lower = expression.toLowerCase(Locale.ROOT);
        String quoted = "'" + setting.toLowerCase(Locale.ROOT).replace("'", "''") + "'";
        int from = 0;
        while (true) {
            int start = lower.indexOf("current_setting(", from);
            if (start < 0) {
                return unsafe;
            }
            int end = closingParen(lower, start + "current_setting".length());
            from = end;
            String call = lower.substring(start, end);
            if (!call.startsWith("current_setting(" + quoted)) {
                continue;
            }
            if (!wrappedInNullif(lower, start) && !castToNonText(lower, end)) {
                unsafe.add(expression.substring(start, end));
            }
        }
    }

    private static int closingParen(String text, int open) {
        int depth = 0;
        boolean inString = false;
        for (int i = open; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\'') {
                inString = !inString;
            } else if (!inString && c == '(') {
                depth++;
            } else if (!inString && c == ')' && --depth == 0) {
                return i + 1;
            }
        }
        return text.length();
    }

    private static boolean wrappedInNullif(String text, int start) {
        String before = text.substring(0, start).replace("pg_catalog.", "").stripTrailing();
        while (before.endsWith("(")) {
            if (before.endsWith("nullif(")) {
                return true;
            }
            before = before.substring(0, before.length() - 1).stripTrailing();
        }
        return false;
    }

    private static boolean castToNonText(String text, int end) {
        int i = end;
        while (i < text.length() && (text.charAt(i) == ')' || Character.isWhitespace(text.charAt(i)))) {
            i++;
        }
        if (!text.startsWith("::", i)) {
            return false;
        }
        String rest = text.substring(i + 2);
        for (String type : TEXT_TYPES) {
            if (rest.startsWith(type)) {
                return false;
            }
        }
        return true;
    }
}
