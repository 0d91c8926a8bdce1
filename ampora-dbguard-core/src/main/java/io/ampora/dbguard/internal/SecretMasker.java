package io.ampora.dbguard.internal;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes passwords from any text the guard builds: URL parameters, {@code user:password@} in URLs,
 * {@code password=...} in property dumps, and every literal secret it was told about.
 *
 * <p>Applied by the runner to every result and by the guard to every exception message, so a check
 * that echoes a driver message cannot leak the password in it.
 */
public final class SecretMasker {

    /** What a removed secret is replaced with. */
    public static final String MASK = "****";

    private static final Pattern PARAM = Pattern.compile(
            "(?i)((?:password|passwd|pwd|sslpassword|sslkeypassword)\\s*[=:]\\s*)([^&;\\s,'\"}]+)");
    private static final Pattern USERINFO = Pattern.compile("(//[^/:@\\s]+:)([^@/\\s]+)(@)");

    private static final SecretMasker NONE = new SecretMasker(List.of());

    private final List<String> secrets;

    private SecretMasker(Collection<String> secrets) {
        Set<String> sorted = new TreeSet<>(Comparator.comparingInt(String::length).reversed().thenComparing(s -> s));
        for (String s : secrets) {
            if (s != null && !s.isEmpty()) {
                sorted.add(s);
            }
        }
        this.secrets = List.copyOf(sorted);
    }

    /**
     * A masker that removes the given literal secrets as well as the patterns every masker knows.
     *
     * @param secrets the passwords to remove wherever they appear
     * @return the masker
     */
    public static SecretMasker of(Collection<String> secrets) {
        return new SecretMasker(secrets);
    }

    /** @return a masker that knows only the patterns */
    public static SecretMasker patternsOnly() {
        return NONE;
    }

    /**
     * Masks the text.
     *
     * @param text any text, may be null
     * @return the text without secrets
     */
    public String mask(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String out = text;
        for (String secret : secrets) {
            out = out.replace(secret, MASK);
        }
        out = PARAM.matcher(out).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK));
        out = USERINFO.matcher(out).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK + m.group(3)));
        return out;
    }
}
